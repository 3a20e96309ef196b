using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ArgMax / ArgMin: the int64 index of the largest (smallest) value along <paramref name="Axis"/>, the first on
/// ties unless <paramref name="SelectLastIndex"/>.
/// </summary>
/// <param name="X">Input, float32, rank ≥ 1, the axis not empty.</param>
/// <param name="Y">Output, int64: the input's shape with the axis set to 1 (<paramref name="KeepDims"/>) or removed.</param>
/// <param name="IsMax">ArgMax (true) or ArgMin.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="KeepDims">Keep the axis as size 1.</param>
/// <param name="SelectLastIndex">On ties take the last index.</param>
public sealed record ArgReduceOp(int X, int Y, bool IsMax, int Axis, bool KeepDims, bool SelectLastIndex) : Op
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

        if (xs[axis] == 0)
        {
            throw Fail($"axis {Axis} of the input {ShapeMath.Format(xs)} is empty: there is no index to return.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        shape[axis] = 1;
        if (!KeepDims)
        {
            shape[(axis + 1)..].CopyTo(shape[axis..]);
        }

        var y = c.OutputLongs(Y, shape[..(KeepDims ? xs.Length : xs.Length - 1)]);
        Kernels.ArgReduce(IsMax, SelectLastIndex, c.Floats(X), y, ShapeMath.Product(xs[..axis]), xs[axis], ShapeMath.Product(xs[(axis + 1)..]));
    }
}
