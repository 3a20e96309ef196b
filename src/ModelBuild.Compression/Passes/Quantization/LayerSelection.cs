using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.Quantization;

/// <summary>What the quantisation passes share: exclusions, pruned masks, error figures.</summary>
internal static class LayerSelection
{
    /// <summary>The layers named by <paramref name="only"/> (all when empty) and not excluded, by weight name, node name or op type.</summary>
    /// <exception cref="ModelBuildException">MB2003 when a name matches no layer (<see cref="LayerNames.RequireKnown"/>).</exception>
    public static IReadOnlyList<LayerWeight> Included(CompressionContext context, IReadOnlyList<string> exclude, IReadOnlyList<string> only)
    {
        var layers = context.Layers();
        LayerNames.RequireKnown(context, layers, only, "layers");
        LayerNames.RequireKnown(context, layers, exclude, "exclude");
        return layers.Where(l => !exclude.Any(n => LayerNames.Matches(l, n)) && (only.Count == 0 || only.Any(n => LayerNames.Matches(l, n)))).ToList();
    }

    /// <summary>Positions a pruning pass zeroed (its <see cref="SparseMatrix"/> mask), or null.</summary>
    public static bool[]? PrunedMask(CompressionContext context, LayerWeight layer) =>
        context.Stored.TryGetValue(layer.Name, out var stored) && stored is SparseMatrix sparse ? sparse.Mask.Select(m => !m).ToArray() : null;

    /// <summary>Keeps a pruning pass's sparsity around a new inner representation.</summary>
    public static StoredMatrix KeepSparsity(CompressionContext context, LayerWeight layer, StoredMatrix inner) =>
        context.Stored.TryGetValue(layer.Name, out var stored) && stored is SparseMatrix sparse ? sparse with { Inner = inner } : inner;

    /// <summary>‖Ŵ − W‖ / ‖W‖ and the mean squared error, for the report.</summary>
    public static (double Relative, double Mse) Error(float[] original, float[] decoded)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < original.Length; i++)
        {
            var d = (double)decoded[i] - original[i];
            diff += d * d;
            norm += (double)original[i] * original[i];
        }

        return (norm > 0 ? Math.Sqrt(diff / norm) : 0, diff / Math.Max(1, original.Length));
    }
}
