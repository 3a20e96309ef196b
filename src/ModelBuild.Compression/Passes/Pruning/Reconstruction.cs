using System.Runtime.CompilerServices;
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
        var (weights, newBias) = keepZeros
            ? RidgeRefit.FitMasked(System(context, x, layer.Cols, bias is not null), y, layer.Rows, current.Select(v => v != 0).ToArray(), ridge, current)
            : RidgeRefit.Fit(x, y, layer.Cols, layer.Rows, keep: null, bias is not null, ridge, current);
        context.SetMatrix(layer, weights);
        if (bias is not null && newBias is not null)
        {
            context.Graph.SetInitializer(Tensor.FromFloats(bias.Name, bias.Dims, newBias));
        }

        context.InvalidateActivations();
        return true;
    }

    /// <summary>The last masked system built in each compression, reused while a layer's inputs stay the same bits.</summary>
    private static readonly ConditionalWeakTable<CompressionContext, StrongBox<RidgeSystem?>> LastSystem = new();

    /// <summary>
    /// The layer's ridge system, shared with the previous refit when its inputs are bit-identical: auto builds
    /// one pruned candidate after another on a layer whose inputs do not change (issue 13: the Gram of
    /// mnist_cnn_fc128's fc1, 9.8·10⁹ multiply-adds, was rebuilt for each). One system is kept per compression
    /// (the last one, e.g. 79 MB for a 3,136-input layer), released with the context.
    /// </summary>
    private static RidgeSystem System(CompressionContext context, float[] inputs, int cols, bool withBias)
    {
        var last = LastSystem.GetValue(context, _ => new StrongBox<RidgeSystem?>());
        lock (last)
        {
            if (last.Value is { } cached && cached.Matches(inputs, cols, withBias))
            {
                return cached;
            }

            last.Value = null; // let the old one go before building the next
            last.Value = RidgeSystem.Build(inputs, cols, withBias);
            return last.Value;
        }
    }
}
