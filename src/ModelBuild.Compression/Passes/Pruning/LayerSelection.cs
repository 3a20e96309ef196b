using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>Which layers a pass touches (names and op types), and the bias tensor of a layer.</summary>
internal static class LayerSelection
{
    /// <summary>
    /// The layers named in <paramref name="include"/> (all when empty) minus those in <paramref name="exclude"/>;
    /// a name matches the weight name, the node name or the op type.
    /// </summary>
    /// <exception cref="ModelBuildException">MB2003 when a name matches no layer (<see cref="LayerNames.RequireKnown"/>).</exception>
    public static List<LayerWeight> Select(CompressionContext context, IReadOnlyList<string> include, IReadOnlyList<string> exclude, Func<LayerWeight, bool>? supported = null)
    {
        var layers = context.Layers();
        LayerNames.RequireKnown(context, layers, include, "layers");
        LayerNames.RequireKnown(context, layers, exclude, "exclude");
        return layers
            .Where(l => include.Count == 0 || include.Any(name => Matches(l, name)))
            .Where(l => !exclude.Any(name => Matches(l, name)))
            .Where(l => supported?.Invoke(l) ?? true)
            .ToList();
    }

    public static bool Matches(LayerWeight layer, string name) => LayerNames.Matches(layer, name);

    /// <summary>The layer's per-output bias initializer (Gemm C or Conv B with <c>Rows</c> values), or null.</summary>
    public static Tensor? Bias(ModelGraph graph, LayerWeight layer)
    {
        var index = layer.Node.OpType is "Gemm" or "Conv" ? 2 : -1;
        return index > 0 && layer.Node.InputOrNull(index) is { } name && graph.GetInitializer(name) is { DataType: DataType.Float } t && t.ElementCount == layer.Rows
            ? t : null;
    }

    /// <summary>True for layers whose input rows map one-to-one to matrix columns (Gemm, MatMul).</summary>
    public static bool IsDense(LayerWeight layer) => layer.Node.OpType is "Gemm" or "MatMul";
}
