using ModelBuild.Compression.Algorithms.Reconstruction;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Quantization;

/// <summary>
/// BRECQ-style reconstruction inside the quantize pass (Li et al. 2021, "BRECQ: Pushing the Limit of Post-Training
/// Quantization by Block Reconstruction", ICLR, arXiv:2102.05426): the ORIGINAL model's layer outputs are recorded
/// once, before any weight changes; after each layer is quantised its per-channel scales and bias are refitted by
/// least squares (<see cref="ChannelRefit"/>) so that, on the inputs the compressed model now feeds it, it
/// reproduces those outputs.
/// </summary>
/// <remarks>
/// Blocks are single weight layers, taken in graph order: the targets are the original model's, while the inputs
/// come from the already-quantised (and refitted) earlier layers, so each refit also absorbs the error that reaches it
/// from upstream (BRECQ's point: reconstruct the compressed model's block against the full-precision one, not each
/// layer against its own float weights). Later layers' GPTQ/AdaRound Hessians are recorded after the refit.
/// Only scales and biases move: the codes, and so the stored size, stay as the quantiser chose them.
/// </remarks>
internal static class BlockRefit
{
    /// <summary>Records the outputs of <paramref name="layers"/> on the graph as it is now (before quantisation).</summary>
    public static Dictionary<string, float[]> RecordTargets(CompressionContext context, IReadOnlyList<LayerWeight> layers, string passName)
    {
        var outputs = layers.Select(l => l.Node.Outputs[0]).Distinct(StringComparer.Ordinal).ToList();
        var recorded = context.Record(outputs, passName);
        return layers.ToDictionary(l => l.Name, l => recorded[l.Node.Outputs[0]].Data, StringComparer.Ordinal);
    }

    /// <summary>Refits <paramref name="layer"/>'s stored scales and its bias to <paramref name="targets"/>; returns the report's note.</summary>
    public static string Apply(CompressionContext context, LayerWeight layer, float[] targets, string passName)
    {
        var output = layer.Node.Outputs[0];
        var (current, shape) = context.Record([output], passName)[output];
        var channelAxis = layer.IsConv ? 1 : shape.Length - 1;
        var inner = 1;
        for (var d = channelAxis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        var biasTensor = Pruning.LayerSelection.Bias(context.Graph, layer);
        var bias = biasTensor?.ToFloats().Select(v => (double)v).ToArray() ?? new double[layer.Rows];
        var stored = context.Stored[layer.Name];
        var fitScale = RowRescale.Supports(stored);
        var fitBias = BiasCorrection.CanTakeBias(context, layer);
        var fit = ChannelRefit.Fit(current, targets, bias, inner, fitScale, fitBias);
        if (!(fit.ErrorAfter < fit.ErrorBefore))
        {
            return FormattableString.Invariant($"block refit '{layer.Name}': no gain (output MSE {fit.ErrorBefore:0.###e+0}), left as quantised");
        }

        if (fitScale)
        {
            var rescaled = RowRescale.Apply(stored, fit.Factors);
            context.Stored[layer.Name] = rescaled;
            context.SetDecoded(layer, rescaled);
        }

        if (fitBias)
        {
            BiasCorrection.Apply(context, layer, fit.Biases.Select((b, i) => b - bias[i]).ToArray());
        }

        context.InvalidateActivations();
        return FormattableString.Invariant(
            $"block refit '{layer.Name}': output MSE against the original model {fit.ErrorBefore:0.###e+0} → {fit.ErrorAfter:0.###e+0} (scales ×{fit.Factors.Min():0.###}…{fit.Factors.Max():0.###}{(fitBias ? ", bias refitted" : ", no bias")})");
    }
}
