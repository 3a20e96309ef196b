using System.Runtime.CompilerServices;
namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// 2-D convolution with 8-bit activations (<see cref="Ops.QuantizedConvOp"/>), NCHW: x is quantised to uint8 per
    /// tensor, <c>q = saturate(roundToEven(x / s) + zp)</c>, with (s, zp) computed from the whole of x as ONNX
    /// <c>DynamicQuantizeLinear</c> does when <paramref name="inputScale"/> is 0, else the given calibrated pair; then
    /// <c>y[n,oc,p] = act(float(Σ (q − zp)·w[oc,·]) · (s·wScale[oc]) + bias[oc] + residual[n,oc,p])</c> over each window,
    /// the sum exact in int32 and padding taking the code zp (it adds 0), as ONNX <c>ConvInteger</c> defines it.
    /// </summary>
    /// <param name="x">Inputs, <c>batch·C·H·W</c> floats.</param>
    /// <param name="w">Int8 symmetric weights (<see cref="WeightFormat.Int8"/>), <c>OC × (C/group·KH·KW)</c>, one scale per row.</param>
    /// <param name="bias">OC floats, or empty for none.</param>
    /// <param name="y">Outputs, <c>batch·OC·OH·OW</c> floats.</param>
    /// <param name="s">The convolution's shape (pads ≥ 0).</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="act">The fused activation.</param>
    /// <param name="inputScale">The activations' scale (&gt; 0), or 0 for dynamic (computed from x on every call).</param>
    /// <param name="inputZeroPoint">The activations' zero point, 0–255 (ignored when dynamic).</param>
    /// <param name="residual">Empty, or <c>batch·R·OH·OW</c> floats added to the first R output channels before the activation.</param>
    /// <param name="residualChannels">R (0 with no residual; at most OC).</param>
    /// <param name="scratch">At least <see cref="QuantizedConv2DScratch"/> bytes; overwritten.</param>
    /// <param name="threads">Intra-op threads (1: the calling thread only, no allocation); the results do not depend on it.</param>
    /// <exception cref="ArgumentException">A span is too short, the shape is invalid, the weights are not int8 symmetric of the shape's size, or the scale or zero point is out of range.</exception>
    public static void QuantizedConv2D(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act,
        float inputScale, int inputZeroPoint, ReadOnlySpan<float> residual, int residualChannels, Span<byte> scratch, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        CheckConvShape(s);
        if (w.Format != WeightFormat.Int8)
        {
            throw new ArgumentException($"the weights must be int8 symmetric (format Int8), not {w.Format}.", nameof(w));
        }

        if (w.Rows != s.OC || w.Cols != s.C / s.Group * s.KH * s.KW)
        {
            throw new ArgumentException($"w must be {s.OC}×{s.C / s.Group * s.KH * s.KW} (OC × C/group·KH·KW) but is {w.Rows}×{w.Cols}.", nameof(w));
        }

        if (!(inputScale >= 0) || float.IsInfinity(inputScale) || inputZeroPoint is < 0 or > 255)
        {
            throw new ArgumentException($"the input scale must be 0 (dynamic) or positive and finite, and the zero point 0–255; got {inputScale} and {inputZeroPoint}.");
        }

        if (residualChannels < 0 || residualChannels > s.OC)
        {
            throw new ArgumentException($"residualChannels must be 0–{s.OC} but is {residualChannels}.", nameof(residualChannels));
        }

        long inputs = (long)batch * s.C * s.H * s.W;
        Check.AtLeast(x.Length, inputs, nameof(x), "batch × C × H × W");
        Check.AtLeast(y.Length, (long)batch * s.OC * s.OH * s.OW, nameof(y), "batch × OC × OH × OW");
        Check.AtLeast(residual.Length, (long)batch * residualChannels * s.OH * s.OW, nameof(residual), "batch × R × OH × OW");
        Check.AtLeast(scratch.Length, QuantizedConv2DScratch(s), nameof(scratch), "QuantizedConv2DScratch(shape) bytes");
        Check.BiasLength(bias, s.OC);
        QuantizedConv2D(Int8Dense.Best, x[..(int)inputs], w, bias, y, s, batch, act, inputScale, inputZeroPoint, residual, residualChannels, scratch, threads);
    }

    /// <summary>Bytes of scratch <c>QuantizedConv2D</c> needs for shape <paramref name="s"/>.</summary>
    public static int QuantizedConv2DScratch(in Conv2DShape s) => Int8Conv.ScratchBytes(s);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void QuantizedConv2D(Int8Path path, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch,
        Activation act, float inputScale, int inputZeroPoint, ReadOnlySpan<float> residual, int residualChannels, Span<byte> scratch, int threads = 1)
    {
        QuantizedConv2DBody(path, x, w, bias, y, in s, batch, act, inputScale, inputZeroPoint, residual, residualChannels, scratch, threads);
    }

    // QuantizedConv2D's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuantizedConv2DBody(Int8Path path, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch,
        Activation act, float inputScale, int inputZeroPoint, ReadOnlySpan<float> residual, int residualChannels, Span<byte> scratch, int threads = 1)
    {
        (float scale, int zeroPoint) = inputScale == 0 ? ActivationQuantizer.DynamicParameters(x) : (inputScale, inputZeroPoint);
        Int8Conv.Run(path, x, batch, s, scale, zeroPoint, w, bias, residual, residualChannels, act, y, scratch, threads);
    }
}
