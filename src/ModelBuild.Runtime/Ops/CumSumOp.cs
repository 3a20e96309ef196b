using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX CumSum: running sums along <paramref name="Axis"/>, the element itself left out with
/// <paramref name="Exclusive"/>, from the end with <paramref name="Reverse"/>. float32 or int64.
/// </summary>
/// <param name="X">Input, rank ≥ 1.</param>
/// <param name="Y">Output, the input's shape and type.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Exclusive">y[j] sums the elements before j only.</param>
/// <param name="Reverse">Sum from the last element towards the first.</param>
public sealed record CumSumOp(int X, int Y, int Axis, bool Exclusive, bool Reverse) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (!ShapeMath.TryAxis(Axis, xs.Length, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        int outer = ShapeMath.Product(xs[..axis]), n = xs[axis], inner = ShapeMath.Product(xs[(axis + 1)..]);
        if (c.TypeOf(X) == TensorType.Int64)
        {
            Kernels.CumSum(c.Longs(X), c.OutputLongs(Y, shape), outer, n, inner, Exclusive, Reverse);
            return;
        }

        Kernels.CumSum(c.Floats(X), c.OutputFloats(Y, shape), outer, n, inner, Exclusive, Reverse);
    }
}
