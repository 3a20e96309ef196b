using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// Convolution over 1, 2 or 3 spatial axes (ONNX Conv): groups, pads or auto_pad, strides, dilations, bias and a
/// fused activation. The output size is computed per call from the input's spatial sizes. 1-D runs as 2-D with
/// height 1 (same kernels); 3-D has its own im2col before the same GEMM.
/// </summary>
/// <param name="X">Input <c>[N, C, spatial…]</c>.</param>
/// <param name="Y">Output <c>[N, OC, output spatial…]</c>.</param>
/// <param name="Weight">Blob entry of the weights as an <c>OC × (C/group·Πkernel)</c> matrix.</param>
/// <param name="Bias">Blob entry of OC floats, or -1.</param>
/// <param name="KernelShape">Kernel size per spatial axis.</param>
/// <param name="Strides">Strides.</param>
/// <param name="Dilations">Dilations.</param>
/// <param name="Pads">[begin…, end…] (ignored unless <paramref name="AutoPad"/> is NOTSET).</param>
/// <param name="AutoPad">ONNX auto_pad: NOTSET, SAME_UPPER, SAME_LOWER or VALID.</param>
/// <param name="Group">Number of groups.</param>
/// <param name="Act">Fused activation (after the residual, when there is one).</param>
/// <param name="Residual">
/// A fused residual Add, or -1: an activation <c>[N, R, output spatial…]</c> with R ≤ OC (1-D and 2-D convs), added to
/// the first R output channels before <paramref name="Act"/>; the other channels get nothing (the residual padded with
/// zero channels, as in <c>Add(Conv(x), Concat(r, zeros))</c>). Same values as the separate Conv → Add → activation.
/// </param>
/// <param name="ConcatOffset">With <paramref name="ConcatChannels"/>: the first channel this conv writes.</param>
/// <param name="ConcatChannels">
/// 0, or the channel count of the Concat (along axis 1) that reads <paramref name="Y"/> and shares its storage (1-D and 2-D
/// convs without a residual): the conv then writes its OC output channels as channels
/// [<paramref name="ConcatOffset"/>, <paramref name="ConcatOffset"/> + OC) of each image of that <c>[N, ConcatChannels,
/// output spatial…]</c> tensor, so the Concat has nothing to copy (the planner's concat elision, as in SqueezeNet's Fire
/// modules and Inception blocks). <paramref name="Y"/>'s shape is still <c>[N, OC, output spatial…]</c>.
/// </param>
public sealed record ConvOp(int X, int Y, int Weight, int Bias, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads,
    string AutoPad, int Group, Activation Act, int Residual = -1, int ConcatOffset = 0, int ConcatChannels = 0) : Op
{
    /// <inheritdoc/>
    // The fused residual is added element by element, so it must hold the same samples.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (Residual < 0 || flow.IsBatched(Residual)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = KernelShape.Length;
        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads) is { } problem)
        {
            throw Fail(problem);
        }

        var w = c.Matrix(Weight);
        int n = xs[0], ch = xs[1];
        Span<int> ys = stackalloc int[rank + 2];
        Span<int> begin = stackalloc int[rank];
        Span<int> end = stackalloc int[rank];
        if (Spatial.ConvOutput(xs, Group, w.Rows, w.Cols, KernelShape, Strides, Dilations, Pads, AutoPad, false, ys, begin, end) is { } misfit)
        {
            throw Fail(misfit);
        }

        int residualChannels = Residual < 0 ? 0 : CheckResidual(c, ys);
        int pixels = ShapeMath.Product(ys[2..]);
        var y = ConcatChannels == 0 ? c.OutputFloats(Y, ys) : ConcatPart(c, ys, n, pixels);
        if (rank == 3)
        {
            var s3 = new Conv3DShape(ch, w.Rows, Group, Dims3.Trailing(xs[2..], 1), Dims3.Trailing(ys[2..], 1), Dims3.Trailing(KernelShape, 1),
                Dims3.Trailing(Strides, 1), Dims3.Trailing(Dilations, 1), Dims3.Trailing(begin, 0));
            Kernels.Conv3D(Simd.Best, c.Floats(X), w, c.BlobFloats(Bias), y, c.Scratch(Kernels.Conv3DScratch(s3)), s3, n, Act);
            return;
        }

        // 1-D: a 2-D convolution of height 1 (index 0 of every attribute is then the width's).
        int h = rank == 2 ? 0 : -1;
        var shape = new Conv2DShape(ch, At(xs[2..], h), xs[^1], w.Rows, At(ys[2..], h), ys[^1], At(KernelShape, h), KernelShape[^1],
            At(Strides, h), Strides[^1], At(Dilations, h), Dilations[^1], h < 0 ? 0 : begin[0], begin[^1], h < 0 ? 0 : end[0], end[^1], Group);
        var scratch = c.Scratch(Kernels.Conv2DScratch(shape));
        if (residualChannels > 0)
        {
            Kernels.Conv2D(Simd.Best, c.Floats(X), w, c.BlobFloats(Bias), y, scratch, shape, n, Act, c.Floats(Residual), residualChannels);
            return;
        }

        if (ConcatChannels > 0 && n > 1)
        {
            Kernels.Conv2D(c.Floats(X), w, c.BlobFloats(Bias), y, ConcatChannels * pixels, scratch, shape, n, Act, c.Program.IntraOpThreads);
            return;
        }

        Kernels.Conv2D(c.Floats(X), w, c.BlobFloats(Bias), y, scratch, shape, n, Act, c.Program.IntraOpThreads);
    }

    /// <summary>This conv's channels of the shared Concat output: from channel <see cref="ConcatOffset"/> of image 0 to the end of the storage.</summary>
    private Span<float> ConcatPart(OpContext c, ReadOnlySpan<int> ys, int n, int pixels)
    {
        if (KernelShape.Length > 2 || Residual >= 0 || ConcatOffset < 0 || ConcatOffset + ys[1] > ConcatChannels)
        {
            throw Fail($"channels [{ConcatOffset}, {ConcatOffset + ys[1]}) of a {ConcatChannels}-channel concat output are not a part a 1-D or 2-D conv without a residual can write.");
        }

        var whole = c.OutputFloats(Y, ys, checked(n * ConcatChannels * pixels));
        return n == 0 ? whole : whole[(ConcatOffset * pixels)..]; // a batch of 0 has no storage to offset into
    }

    /// <summary>The residual's channel count R after checking its shape is <c>[N, R ≤ OC, output spatial…]</c> (1-D and 2-D only).</summary>
    private int CheckResidual(OpContext c, ReadOnlySpan<int> ys) =>
        Spatial.ResidualChannels(c, Residual, Y, ys, KernelShape.Length <= 2, out int channels) is { } misfit ? throw Fail(misfit) : channels;

    private static int At(ReadOnlySpan<int> values, int index) => index < 0 ? 1 : values[index];
}
