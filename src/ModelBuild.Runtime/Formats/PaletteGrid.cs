namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Whether a palette's entries lie on an int8 grid: entry e = k_e·s (float32 product) with k_e an integer in
/// [−127, 127] and one s per codebook, s = max|entry| / 127. Such a palette is looked up as int8 steps k (one
/// <c>vpshufb</c> per 32 codes, <see cref="GridPalette16Gemv"/>) with s applied once per output row, as int8's scale is.
/// </summary>
/// <remarks>
/// This is the one definition the runtime (which kernel a blob's palette gets) and the compressor (which snaps its
/// codebooks so that they pass it, <c>PalettizePass</c>) share. The test is exact: every entry must equal
/// <c>(float)k·s</c> bit for bit, so the grid kernel computes the format's values, only summed in another order.
/// </remarks>
internal static class PaletteGrid
{
    /// <summary>The largest |k|: the int8 range without −128, so a step and its negation both fit.</summary>
    public const int MaxStep = 127;

    /// <summary>The grid scale of <paramref name="table"/>: max|entry| / 127 in float32 (0 when every entry is 0).</summary>
    public static float Scale(ReadOnlySpan<float> table)
    {
        float max = 0;
        foreach (float v in table)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max / MaxStep;
    }

    /// <summary>
    /// The steps k of <paramref name="table"/> and its grid scale when every entry is exactly k·s (|k| ≤ 127, s
    /// positive and finite); false otherwise (NaN or ±∞ entries, an all-zero table, or any entry off the grid).
    /// </summary>
    /// <param name="table">The codebook's entries (any count).</param>
    /// <param name="steps">Receives k per entry; at least <c>table.Length</c> long.</param>
    /// <param name="scale">The grid scale s.</param>
    public static bool TryFit(ReadOnlySpan<float> table, Span<sbyte> steps, out float scale)
    {
        scale = Scale(table);
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            return false;
        }

        for (int e = 0; e < table.Length; e++)
        {
            float k = MathF.Round(table[e] / scale);
            // Float equality: bit for bit except that −0 and +0 (both step 0) match.
            if (!(Math.Abs(k) <= MaxStep) || k * scale != table[e])
            {
                return false;
            }

            steps[e] = (sbyte)k;
        }

        return true;
    }
}
