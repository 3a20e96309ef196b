using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// <see cref="ConvOp"/> (1-D and 2-D) with 8-bit activations (the manifest's <c>quantize-activations</c> pass): the
/// input is quantised to uint8 per tensor, convolved with the int8 weights in exact int32 (padding takes the zero point)
/// and scaled back, as ONNX <c>DynamicQuantizeLinear</c> (or <c>QuantizeLinear</c>) + <c>ConvInteger</c> + Cast + scale
/// <c>Mul</c> + bias <c>Add</c> compute it:
/// <c>y[n, oc, p] = act(float(Σ (q − zp)·W[oc, ·]) · (s·wScale[oc]) + bias[oc] (+ residual[n, oc, p]))</c>.
/// </summary>
/// <param name="X">Input <c>[N, C, spatial…]</c> (1 or 2 spatial axes).</param>
/// <param name="Y">Output <c>[N, OC, output spatial…]</c>.</param>
/// <param name="Weight">Blob entry of W, an <c>OC × (C/group·Πkernel)</c> int8 symmetric matrix with one scale per row.</param>
/// <param name="Bias">Blob entry of OC floats, or -1.</param>
/// <param name="KernelShape">Kernel size per spatial axis.</param>
/// <param name="Strides">Strides.</param>
/// <param name="Dilations">Dilations.</param>
/// <param name="Pads">[begin…, end…] (ignored unless <paramref name="AutoPad"/> is NOTSET).</param>
/// <param name="AutoPad">ONNX auto_pad: NOTSET, SAME_UPPER, SAME_LOWER or VALID.</param>
/// <param name="Group">Number of groups.</param>
/// <param name="Act">Fused activation (after the residual, when there is one).</param>
/// <param name="InputScale">The input's calibrated scale s, or 0: dynamic, (s, zp) computed from each call's input over the whole tensor.</param>
/// <param name="InputZeroPoint">The input's calibrated zero point zp (0–255); 0 when dynamic.</param>
/// <param name="Residual">A fused residual Add as <see cref="ConvOp.Residual"/>, or -1.</param>
public sealed record QuantizedConvOp(int X, int Y, int Weight, int Bias, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads,
    string AutoPad, int Group, Activation Act, float InputScale, int InputZeroPoint, int Residual = -1) : Op
{
    /// <inheritdoc/>
    // Dynamic input quantization (InputScale 0) takes (s, zp) from the whole call's input, so a chunk would see other values.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => InputScale != 0 && (Residual < 0 || flow.IsBatched(Residual)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = KernelShape.Length;
        if (rank is < 1 or > 2)
        {
            throw Fail($"{rank} spatial axes (8-bit activations cover 1-D and 2-D convolutions).");
        }

        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads) is { } problem)
        {
            throw Fail(problem);
        }

        var w = c.Matrix(Weight);
        int n = xs[0], ch = xs[1];
        Span<int> ys = stackalloc int[rank + 2];
        Span<int> begin = stackalloc int[rank];
        Span<int> end = stackalloc int[rank];
        if (Spatial.ConvOutput(xs, Group, w.Rows, w.Cols, KernelShape, Strides, Dilations, Pads, AutoPad, true, ys, begin, end) is { } misfit)
        {
            throw Fail(misfit);
        }

        if (w.Format != WeightFormat.Int8)
        {
            throw Fail($"the weight must be stored as int8 symmetric, not {w.Format}.");
        }

        int residualChannels = Residual < 0 ? 0 : CheckResidual(c, ys);
        var y = c.OutputFloats(Y, ys);

        // 1-D: a 2-D convolution of height 1 (index 0 of every attribute is then the width's).
        int h = rank == 2 ? 0 : -1;
        var shape = new Conv2DShape(ch, At(xs[2..], h), xs[^1], w.Rows, At(ys[2..], h), ys[^1], At(KernelShape, h), KernelShape[^1],
            At(Strides, h), Strides[^1], At(Dilations, h), Dilations[^1], h < 0 ? 0 : begin[0], begin[^1], h < 0 ? 0 : end[0], end[^1], Group);
        int bytes = Kernels.QuantizedConv2DScratch(shape);
        var scratch = MemoryMarshal.AsBytes(c.Scratch((bytes + 3) / 4))[..bytes];
        Kernels.QuantizedConv2D(c.Floats(X), w, c.BlobFloats(Bias), y, shape, n, Act, InputScale, InputZeroPoint,
            residualChannels == 0 ? default : c.Floats(Residual), residualChannels, scratch, c.Program.IntraOpThreads);
    }

    /// <summary>The residual's channel count R after checking its shape is <c>[N, R ≤ OC, output spatial…]</c>.</summary>
    private int CheckResidual(OpContext c, ReadOnlySpan<int> ys) =>
        Spatial.ResidualChannels(c, Residual, Y, ys, true, out int channels) is { } misfit ? throw Fail(misfit) : channels;

    private static int At(ReadOnlySpan<int> values, int index) => index < 0 ? 1 : values[index];
}
