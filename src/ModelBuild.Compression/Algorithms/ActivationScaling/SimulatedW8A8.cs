using ModelBuild.Compression.Algorithms.Quantization;

namespace ModelBuild.Compression.Algorithms.ActivationScaling;

/// <summary>
/// A layer's relative output error under W8A8 as SmoothQuant's evaluation quantises it (Xiao et al., 2023,
/// arXiv:2211.10438, §5: per-tensor static int8 activations, per-channel int8 weights), simulated in float:
/// ‖Q_w(W·diag(s))·Q_a(X·diag(s)⁻¹) − W·X‖² / ‖W·X‖² on sample input rows. s = 1 is plain W8A8.
/// </summary>
/// <remarks>
/// Q_a is symmetric int8 with one scale, max|X·diag(s)⁻¹| / 127 over the whole calibration tensor (codes −127…127,
/// round half to even as ONNX QuantizeLinear); Q_w is round to nearest, int8 symmetric per output channel. This is
/// the error the int8-activation runtime would add, measured without it.
/// </remarks>
public static class SimulatedW8A8
{
    /// <summary>The relative squared output error.</summary>
    /// <param name="w">Float weights, rows × cols.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs (channel-major blocks for a Conv).</param>
    /// <param name="channelScales">s per input channel (all 1 for plain W8A8).</param>
    /// <param name="channelMax">max |x| per input channel on the calibration data (before division by s).</param>
    /// <param name="x">Sample input rows, count × cols (before division by s).</param>
    /// <param name="count">Sample rows.</param>
    public static double RelativeError(double[] w, int rows, int cols, double[] channelScales, double[] channelMax, float[] x, int count)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(x);
        var columns = ChannelBlocks.Expand(channelScales, cols);
        var step = ActivationStep(channelMax.Select((m, c) => m / channelScales[c]).Max());
        var xq = new float[count * cols];
        for (var i = 0; i < xq.Length; i++)
        {
            xq[i] = FakeQuantize((float)(x[i] / columns[i % cols]), step);
        }

        var scaled = w.Select((v, i) => v * columns[i % cols]).ToArray();
        var (_, wq) = RoundToNearest.Quantize(scaled, rows, cols, new GridOptions(8, false, true, cols, false), null, null);
        var wf = Array.ConvertAll(w, v => (float)v);
        var error = SampledOutputError.OfPair(wq, xq, wf, x, rows, cols, count);
        var reference = SampledOutputError.OfPair([], [], wf, x, rows, cols, count);
        return reference > 0 ? error / reference : 0;
    }

    /// <summary>The per-tensor int8 step for a tensor whose largest magnitude is <paramref name="maxAbs"/>.</summary>
    public static float ActivationStep(double maxAbs) => maxAbs > 0 ? (float)(maxAbs / 127) : 1f;

    /// <summary>x rounded to the int8 grid of <paramref name="step"/> (half to even, saturating at ±127).</summary>
    public static float FakeQuantize(float x, float step) => (float)Math.Clamp(Math.Round(x / step, MidpointRounding.ToEven), -127, 127) * step;
}
