using ModelBuild.Compression.Algorithms.Reconstruction;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>
/// Refits a Gemm/MatMul layer of the current graph so its outputs match targets recorded on the unmodified model
/// (layer-wise reconstruction). Conv layers are left as they are: their targets would need im2col patches.
/// </summary>
internal static class Reconstruction
{
    /// <summary>Records the outputs of <paramref name="layers"/> on the graph as it is now (call before changing it).</summary>
    public static Dictionary<string, float[]> RecordTargets(CompressionContext context, IEnumerable<LayerWeight> layers, string passName)
    {
        var dense = layers.Where(LayerSelection.IsDense).ToList();
        if (dense.Count == 0)
        {
            return new(StringComparer.Ordinal);
        }

        var recorded = context.Record(dense.Select(l => l.Node.Outputs[0]).ToList(), passName);
        return dense.ToDictionary(l => l.Name, l => recorded[l.Node.Outputs[0]].Data, StringComparer.Ordinal);
    }

    /// <summary>
    /// Refits <paramref name="layer"/> (weights with <paramref name="keepZeros"/>: zeros stay zero; and its bias)
    /// to <paramref name="targets"/>; false when the layer is not Gemm/MatMul or has no targets.
    /// </summary>
    public static bool Refit(CompressionContext context, LayerWeight layer, IReadOnlyDictionary<string, float[]> targets, bool keepZeros, double ridge, string passName)
    {
        if (!LayerSelection.IsDense(layer) || !targets.TryGetValue(layer.Name, out var y))
        {
            return false;
        }

        var x = context.Record([layer.InputValue], passName)[layer.InputValue].Data;
        var bias = LayerSelection.Bias(context.Graph, layer);
        var current = context.GetMatrix(layer);
        var keep = keepZeros ? current.Select(v => v != 0).ToArray() : null;
        var (weights, newBias) = RidgeRefit.Fit(x, y, layer.Cols, layer.Rows, keep, bias is not null, ridge, current);
        context.SetMatrix(layer, weights);
        if (bias is not null && newBias is not null)
        {
            context.Graph.SetInitializer(Tensor.FromFloats(bias.Name, bias.Dims, newBias));
        }

        context.InvalidateActivations();
        return true;
    }
}
