using System.Globalization;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// Whole-model candidates that no per-layer setting can express: global magnitude pruning (one threshold on the
/// trained magnitudes across all layers, in <see cref="AutoPasses.PruneRounds"/> rounds with reconstruction; Han et
/// al. 2016, "Deep Compression", prune → share weights → entropy-code), then palettes, with the large layers at the
/// palette's narrower width as variants. On mnist_cnn_fc128 this is the best manual recipe (93 %, 4-bit palettes):
/// a global threshold leaves the small convolutions denser than fc1, which a per-layer sparsity cannot.
/// </summary>
/// <remarks>
/// Built for real and judged like the uniform settings (on the gate's data when there is one). The sparsity is found by
/// bisection over <see cref="Sparsities"/>, assuming the loss grows with it: each pruning is built once and every
/// palette variant is built on top of it (<see cref="AutoSearch.VerifyVariants"/>), since the pruning rounds cost far
/// more than a palette.
/// </remarks>
internal static class GlobalPruneRecipes
{
    /// <summary>The global sparsities bisected, widest first.</summary>
    public static readonly double[] Sparsities = [0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98];

    /// <summary>Only when the candidates include pruned palettes (the user asked for pruning and palettes): their widest and narrowest palette widths.</summary>
    public static (int Wide, int Narrow)? PaletteBits(AutoSpec spec)
    {
        var bits = spec.Candidates.Where(c => c.Palette && c.Sparsity > 0).Select(c => c.Bits).ToList();
        return bits.Count == 0 ? null : (bits.Max(), bits.Min());
    }

    /// <summary>Bisects the sparsity on <paramref name="passes"/> (a built result within the bounds); returns every result built.</summary>
    public static List<Verified> Search(AutoSearch search, Func<Verified, bool> passes)
    {
        var built = new List<Verified>();
        if (PaletteBits(search.Spec) is not { } bits)
        {
            return built;
        }

        var (wide, narrow) = bits;

        var (low, high) = (0, Sparsities.Length - 1); // the answer is in [low - 1, high]
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var results = Build(search, Sparsities[middle], wide, narrow);
            built.AddRange(results);
            if (results.Any(passes))
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return built;
    }

    /// <summary>One global pruning, then every layer at the wide palette, and the large layers at the narrow one (if narrower).</summary>
    private static IReadOnlyList<Verified> Build(AutoSearch search, double sparsity, int wide, int narrow)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"global p{sparsity * 100:0}");
        search.Progress($"{name}: pruning every layer by one magnitude threshold, {AutoPasses.PruneRounds} rounds with reconstruction");
        var variants = new List<(IReadOnlyList<string>, string)> { (Palettes(search, _ => wide), $"{name}-pal{wide}") };
        if (narrow < wide && Enumerable.Range(0, search.Layers.Count).Any(search.IsLarge))
        {
            variants.Add((Palettes(search, l => search.IsLarge(l) ? narrow : wide), $"{name}-pal{wide}, large layers pal{narrow}"));
        }

        return search.VerifyVariants([AutoPasses.GlobalPrune(sparsity)], variants);
    }

    private static IReadOnlyList<string> Palettes(AutoSearch search, Func<int, int> bits) =>
        [.. AutoPasses.Weights(search.Layers.Select((l, i) => (l.Name, new AutoCandidate(bits(i), 0) { Palette = true })).ToList())];
}
