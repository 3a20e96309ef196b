using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Quantization;

/// <summary>
/// Empirical bias correction (Nagel et al. 2019, "Data-free quantization", §4.2 with calibration data): after a
/// layer is quantised its outputs are off on average by E[(W − Ŵ)x]; adding that to the bias removes the shift.
/// </summary>
/// <remarks>
/// The mean is measured rather than computed from E[x]: the layer's output is recorded on the calibration data
/// with the float weights and again with the quantised ones (inputs identical), which handles convolution
/// padding exactly. Layers without a bias input (MatMul) get none and a note says so.
/// </remarks>
internal static class BiasCorrection
{
    /// <summary>The per-output-channel mean of the layer's output on the calibration data.</summary>
    public static double[] OutputMeans(CompressionContext context, LayerWeight layer, string passName)
    {
        var output = layer.Node.Outputs[0];
        var (data, shape) = context.Record([output], passName)[output];
        var channelAxis = layer.IsConv ? 1 : shape.Length - 1;
        var channels = shape[channelAxis];
        var inner = 1;
        for (var d = channelAxis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        var sums = new double[channels];
        for (var i = 0; i < data.Length; i++)
        {
            sums[i / inner % channels] += data[i];
        }

        var count = data.Length / (double)channels;
        return sums.Select(s => s / count).ToArray();
    }

    /// <summary>True when <see cref="Apply"/> can shift the layer's bias: a Conv/Gemm whose bias is absent or its own initializer.</summary>
    public static bool CanTakeBias(CompressionContext context, LayerWeight layer)
    {
        if (layer.Node.OpType is not ("Conv" or "Gemm"))
        {
            return false;
        }

        var biasName = layer.Node.InputOrNull(2);
        var bias = biasName is null ? null : context.Graph.GetInitializer(biasName);
        return biasName is null || (bias is not null && bias.ElementCount == layer.Rows && context.Graph.Nodes.Count(n => n.Inputs.Contains(biasName)) == 1);
    }

    /// <summary>Adds <paramref name="shift"/> to the layer's bias (creating a zero bias for Conv/Gemm without one).</summary>
    /// <returns>The mean |shift|, or null when the layer cannot take a bias.</returns>
    public static double? Apply(CompressionContext context, LayerWeight layer, double[] shift)
    {
        if (!CanTakeBias(context, layer))
        {
            return null;
        }

        var biasName = layer.Node.InputOrNull(2);
        var bias = biasName is null ? null : context.Graph.GetInitializer(biasName);

        var values = bias?.ToFloats() ?? new float[shift.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(values[i] + shift[i]);
        }

        var name = biasName ?? layer.Name + "_bias_corrected";
        context.Graph.SetInitializer(Tensor.FromFloats(name, [shift.Length], values));
        while (layer.Node.Inputs.Count < 3)
        {
            layer.Node.Inputs.Add("");
        }

        layer.Node.Inputs[2] = name;
        return shift.Average(Math.Abs);
    }
}
