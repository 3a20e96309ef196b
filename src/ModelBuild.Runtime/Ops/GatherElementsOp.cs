using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX GatherElements, any element type: <c>y[i…] = x[i… with i[axis] = indices[i…]]</c>; the output has the
/// indices' shape (same rank as x, each dim at most x's off the axis); negative indices count from the end.
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Indices">int64 indices, constant or computed.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
public sealed record GatherElementsOp(int X, int Indices, int Y, int Axis) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var ids = c.Shape(Indices);
        var rank = xs.Length;
        if (!ShapeMath.TryAxis(Axis, rank, out var axis) || ids.Length != rank || rank > ShapeMath.MaxRank)
        {
            throw Fail($"axis {Axis}, data {ShapeMath.Format(xs)} and indices {ShapeMath.Format(ids)} do not fit.");
        }

        if (Strides.IndicesExceedData(xs, ids, axis) is { } problem)
        {
            throw Fail(problem);
        }

        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ids);
        var x = c.Bytes(X);
        var indices = c.Longs(Indices);
        Span<int> strides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides.Of(xs, strides);
        index.Clear();
        var n = xs[axis];
        for (var o = 0; o < indices.Length; o++)
        {
            var src = Strides.OffsetAlongAxis(index, strides, axis, indices[o], n);
            if (src < 0)
            {
                throw Fail($"index {indices[o]} is outside axis {axis} of size {n}.");
            }

            x.Slice(src * size, size).CopyTo(y.Slice(o * size, size));
            Strides.Next(index, ids);
        }
    }
}
