using ModelBuild.Runtime.Formats;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// Snaps a fitted codebook onto an int8 grid: entry e becomes k_e·s with s = max|c| / 63 and k_e = round(c_e / s)
/// (the narrow grid; s = max|c| / 127 for codebooks of more than 127 entries), the k kept distinct (a collision moves
/// to the nearest free step), so the runtime reads the palette as int8 steps with one scale (<see cref="PaletteGrid"/>,
/// <c>BiasedGridPalette16Gemv</c>). An entry that is exactly 0 (pinned by pruning) stays 0.
/// </summary>
/// <remarks>
/// The grid's spacing is max|c| / 63, under a fifth of a 16-entry codebook's mean spacing for any codebook spread
/// over more than ±max/3, so snapping moves each entry by at most half of it (a mean squared error under 2 % of the
/// clustering's own); the weights are then re-assigned to the nearest snapped entry. The result passes <see cref="PaletteGrid.TryFit"/> exactly: s is re-derived from the
/// snapped entries as the runtime derives it until the two agree (one or two rounds; float32 products and quotients
/// are deterministic).
/// </remarks>
public static class GridPalette
{
    /// <summary>The most rounds of re-deriving s before giving up (never reached in practice).</summary>
    private const int MaxRounds = 8;

    /// <summary>
    /// The codebook on the grid, entries in the same order, or null when it cannot be put there (all entries 0,
    /// non-finite entries, or more than 255 entries).
    /// </summary>
    public static float[]? Snap(IReadOnlyList<float> centroids)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        var values = centroids.ToArray();
        var maxStep = values.Length <= (2 * PaletteGrid.NarrowMaxStep) + 1 ? PaletteGrid.NarrowMaxStep : PaletteGrid.MaxStep;
        var scale = PaletteGrid.Scale(values, maxStep);
        if (!(scale > 0) || !float.IsFinite(scale) || values.Length > (2 * maxStep) + 1)
        {
            return null;
        }

        var steps = DistinctSteps(values, scale, maxStep);
        var snapped = new float[values.Length];
        var check = new sbyte[values.Length];
        for (var round = 0; round < MaxRounds; round++)
        {
            for (var e = 0; e < values.Length; e++)
            {
                snapped[e] = steps[e] * scale;
            }

            if (PaletteGrid.TryFit(snapped, check, out _) && check.AsSpan().SequenceEqual(steps.Select(k => (sbyte)k).ToArray()))
            {
                return snapped;
            }

            // The scale the runtime derives from the snapped entries (max|entry| / maxStep, rounded once more).
            var derived = PaletteGrid.Scale(snapped, maxStep);
            scale = derived > 0 ? derived : scale;
        }

        return null;
    }

    /// <summary>round(c / s) per entry, then, in order of value (exact zeros first), each moved to the nearest free step.</summary>
    private static int[] DistinctSteps(float[] values, float scale, int maxStep)
    {
        var steps = new int[values.Length];
        var taken = new bool[(2 * maxStep) + 1];
        var order = Enumerable.Range(0, values.Length).OrderBy(e => values[e] == 0 ? 0 : 1).ThenBy(e => values[e]).ThenBy(e => e);
        foreach (var e in order)
        {
            var ideal = values[e] / (double)scale;
            var k = (int)Math.Clamp(Math.Round(ideal, MidpointRounding.ToEven), -maxStep, maxStep);

            // Nearest free step: at each distance d the side the exact value lies on is the nearer one (d − f < d + f).
            var toward = ideal >= k ? 1 : -1;
            for (var d = 0; ; d++)
            {
                if (Free(taken, k + (toward * d), maxStep))
                {
                    k += toward * d;
                    break;
                }

                if (d > 0 && Free(taken, k - (toward * d), maxStep))
                {
                    k -= toward * d;
                    break;
                }
            }

            taken[k + maxStep] = true;
            steps[e] = k;
        }

        return steps;
    }

    private static bool Free(bool[] taken, int k, int maxStep) => Math.Abs(k) <= maxStep && !taken[k + maxStep];
}
