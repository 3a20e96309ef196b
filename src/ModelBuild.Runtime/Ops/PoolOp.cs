using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// MaxPool or AveragePool over 1, 2 or 3 spatial axes (ONNX MaxPool/AveragePool): pads or auto_pad, strides,
/// dilations, ceil_mode, count_include_pad, and MaxPool's optional Indices output. Padding never wins a max. The
/// output size is computed per call. 1-D windows run as 2-D ones of height 1; 3-D windows and Indices take the
/// general 3-D kernel.
/// </summary>
/// <param name="X">Input <c>[N, C, spatial…]</c>.</param>
/// <param name="Y">Output <c>[N, C, output spatial…]</c>.</param>
/// <param name="Indices">Value id of MaxPool's int64 Indices output (flat indices into X), or -1.</param>
/// <param name="IsMax">MaxPool when true, AveragePool otherwise.</param>
/// <param name="KernelShape">Window size per spatial axis.</param>
/// <param name="Strides">Strides.</param>
/// <param name="Dilations">Dilations.</param>
/// <param name="Pads">[begin…, end…].</param>
/// <param name="AutoPad">ONNX auto_pad.</param>
/// <param name="CeilMode">ONNX ceil_mode.</param>
/// <param name="CountIncludePad">ONNX count_include_pad (AveragePool).</param>
/// <param name="ColumnMajorIndices">ONNX storage_order = 1: Indices number each plane column-major.</param>
public sealed record PoolOp(int X, int Y, int Indices, bool IsMax, int[] KernelShape, int[] Strides, int[] Dilations, int[] Pads, string AutoPad,
    bool CeilMode, bool CountIncludePad, bool ColumnMajorIndices) : Op
{
    /// <inheritdoc/>
    // MaxPool's indices count from the start of the whole tensor (ONNX MaxPool), so they depend on the sample's place.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Indices < 0 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        int rank = KernelShape.Length;
        if (Spatial.Check(xs, KernelShape, Strides, Dilations, Pads) is { } problem)
        {
            throw Fail(problem);
        }

        Span<int> ys = stackalloc int[rank + 2];
        Span<int> begin = stackalloc int[rank];
        Span<int> end = stackalloc int[rank];
        ys[0] = xs[0];
        ys[1] = xs[1];
        for (int i = 0; i < rank; i++)
        {
            if (!Spatial.TryResolve(xs[i + 2], KernelShape[i], Strides[i], Dilations[i], Pads[i], Pads[i + rank], AutoPad, CeilMode,
                out ys[i + 2], out begin[i], out end[i]))
            {
                throw Fail($"the window [{string.Join(", ", KernelShape)}] does not fit the input {ShapeMath.Format(xs)}.");
            }
        }

        var y = c.OutputFloats(Y, ys);
        var indices = Indices >= 0 ? c.OutputLongs(Indices, ys) : default;
        if (y.Length == 0)
        {
            return;
        }

        int n = xs[0], ch = xs[1];
        if (rank == 3 || Indices >= 0)
        {
            var general = new Pool3DShape(ch, Dims3.Trailing(xs[2..], 1), Dims3.Trailing(ys[2..], 1), Dims3.Trailing(KernelShape, 1),
                Dims3.Trailing(Strides, 1), Dims3.Trailing(Dilations, 1), Dims3.Trailing(begin, 0), Dims3.Trailing(end, 0));
            Kernels.Pool3D(c.Floats(X), y, indices, general, n, IsMax, CountIncludePad, ColumnMajorIndices);
            return;
        }

        // 1-D: a 2-D window of height 1 (index 0 of every attribute is then the width's).
        int h = rank == 2 ? 0 : -1;
        var shape = new Pool2DShape(ch, At(xs[2..], h), xs[^1], At(ys[2..], h), ys[^1], At(KernelShape, h), KernelShape[^1], At(Strides, h), Strides[^1],
            At(Dilations, h), Dilations[^1], h < 0 ? 0 : begin[0], begin[^1], h < 0 ? 0 : end[0], end[^1]);
        BatchParallel.Pool2D(c.Floats(X), y, shape, n, IsMax, CountIncludePad, c.Program.IntraOpThreads);
    }

    private static int At(ReadOnlySpan<int> values, int index) => index < 0 ? 1 : values[index];
}
