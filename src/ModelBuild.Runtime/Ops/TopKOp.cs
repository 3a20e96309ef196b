using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX TopK: the <c>k</c> largest (or smallest) values along <paramref name="Axis"/>, best first, and their int64
/// indices; equal values in index order. <c>k</c> is <paramref name="KValue"/> when <paramref name="K"/> is -1 (an
/// attribute or a constant input), else the one int64 value of <paramref name="K"/>, read per call.
/// </summary>
/// <param name="X">Input, float32, rank ≥ 1.</param>
/// <param name="K">A computed k (int64, one element), or -1.</param>
/// <param name="Values">Output, float32: the input's shape with the axis set to k.</param>
/// <param name="Indices">Output, int64, same shape.</param>
/// <param name="KValue">k when <paramref name="K"/> is -1.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Largest">Select the largest (true) or the smallest values.</param>
/// <param name="Sorted">ONNX's sorted flag; the output is always sorted, which ONNX allows when it is false.</param>
public sealed record TopKOp(int X, int K, int Values, int Indices, long KValue, int Axis, bool Largest, bool Sorted) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => K < 0 && SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.PerSample(X, Values) && flow.Batched(Indices);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (!ShapeMath.TryAxis(Axis, xs.Length, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        long k = KValue;
        if (K >= 0)
        {
            var ks = c.Longs(K);
            k = ks.Length == 1 ? ks[0] : throw Fail($"K must hold one value but holds {ks.Length}.");
        }

        if (k < 0 || k > xs[axis])
        {
            throw Fail($"k = {k} is outside [0, {xs[axis]}] for axis {Axis} of the input {ShapeMath.Format(xs)}.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        shape[axis] = (int)k;
        var values = c.OutputFloats(Values, shape);
        var indices = c.OutputLongs(Indices, shape);
        Kernels.TopK(c.Floats(X), values, indices, ShapeMath.Product(xs[..axis]), xs[axis], ShapeMath.Product(xs[(axis + 1)..]), (int)k, Largest, c.Scratch(2 * xs[axis]));
    }
}
