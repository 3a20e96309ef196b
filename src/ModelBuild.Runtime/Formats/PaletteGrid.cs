namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Whether a palette's entries lie on an int8 grid: entry e = k_e·s (float32 product) with k_e an integer and one s
/// per codebook, s = max|entry| / K for K = <see cref="NarrowMaxStep"/> (|k| ≤ 63, what the compressor writes) or
/// <see cref="MaxStep"/> (|k| ≤ 127, what it wrote before). Such a palette is looked up as int8 steps (one
/// <c>vpshufb</c> per 32 codes, <see cref="GridPalette16Gemv"/>, <see cref="BiasedGridPalette16Gemv"/>) with s applied
/// once per output row, as int8's scale is.
/// </summary>
/// <remarks>
/// This is the one definition the runtime (which kernel a blob's palette gets) and the compressor (which snaps its
/// codebooks so that they pass it, <c>PalettizePass</c>) share. The test is exact: every entry must equal
/// <c>(float)k·s</c> bit for bit, so the grid kernels compute the format's values, only summed in another order.
/// The narrow grid keeps a codebook's steps within 127 of each other, which lets <see cref="BiasedGridPalette16Gemv"/>
/// read them as floats without converting (its remarks say why).
/// </remarks>
internal static class PaletteGrid
{
    /// <summary>The largest |k| of the wide grid: the int8 range without −128, so a step and its negation both fit.</summary>
    public const int MaxStep = 127;

    /// <summary>The largest |k| of the narrow grid: any two steps differ by at most 126.</summary>
    public const int NarrowMaxStep = 63;

    /// <summary>The grid scale of <paramref name="table"/> for steps up to <paramref name="maxStep"/>: max|entry| / maxStep in float32 (0 when every entry is 0).</summary>
    public static float Scale(ReadOnlySpan<float> table, int maxStep = NarrowMaxStep)
    {
        float max = 0;
        foreach (float v in table)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max / maxStep;
    }

    /// <summary>
    /// The steps k of <paramref name="table"/> and its grid scale when every entry is exactly k·s on the narrow grid
    /// or, failing that, on the wide one (s positive and finite); false otherwise (NaN or ±∞ entries, an all-zero
    /// table, or an entry off both grids).
    /// </summary>
    /// <param name="table">The codebook's entries (any count).</param>
    /// <param name="steps">Receives k per entry; at least <c>table.Length</c> long.</param>
    /// <param name="scale">The grid scale s.</param>
    public static bool TryFit(ReadOnlySpan<float> table, Span<sbyte> steps, out float scale) =>
        TryFit(table, steps, NarrowMaxStep, out scale) || TryFit(table, steps, MaxStep, out scale);

    private static bool TryFit(ReadOnlySpan<float> table, Span<sbyte> steps, int maxStep, out float scale)
    {
        scale = Scale(table, maxStep);
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            return false;
        }

        for (int e = 0; e < table.Length; e++)
        {
            float k = MathF.Round(table[e] / scale);
            // Float equality: bit for bit except that −0 and +0 (both step 0) match.
            if (!(Math.Abs(k) <= maxStep) || k * scale != table[e])
            {
                return false;
            }

            steps[e] = (sbyte)k;
        }

        return true;
    }
}
