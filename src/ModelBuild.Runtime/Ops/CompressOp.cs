using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Compress, any element type: keeps the slices along <paramref name="Axis"/> whose condition entry is true
/// (numpy.compress); without an axis the input is flattened first. The condition may be shorter than the axis
/// (the rest is dropped). The output's size depends on the condition's values, so it is computed per call.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Condition">1-D bool condition.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">The axis (negative counts from the end); ignored when <paramref name="Flatten"/>.</param>
/// <param name="Flatten">True when the node has no axis attribute.</param>
public sealed record CompressOp(int X, int Condition, int Y, int Axis, bool Flatten) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var rank = xs.Length;
        var axis = 0;
        if (rank > ShapeMath.MaxRank || (!Flatten && !ShapeMath.TryAxis(Axis, rank, out axis)))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        var condition = c.Bools(Condition);
        var dim = Flatten ? c.Count(X) : xs[axis];
        if (c.Shape(Condition).Length != 1 || condition.Length > dim)
        {
            throw Fail($"the condition {ShapeMath.Format(c.Shape(Condition))} is not 1-D or longer than the axis ({dim}).");
        }

        var kept = 0;
        foreach (var keep in condition)
        {
            kept += keep ? 1 : 0;
        }

        var size = c.ElementSize(X);
        var y = c.OutputBytes(Y, ShapeMath.WithAxisSize(xs, axis, kept, Flatten, stackalloc int[ShapeMath.MaxRank]));
        var x = c.Bytes(X);
        var outer = Flatten ? 1 : ShapeMath.Product(xs[..axis]);
        var inner = (Flatten ? 1 : ShapeMath.Product(xs[(axis + 1)..])) * size;
        var o = 0;
        for (var r = 0; r < outer; r++)
        {
            for (var i = 0; i < condition.Length; i++)
            {
                if (condition[i])
                {
                    x.Slice(((r * dim) + i) * inner, inner).CopyTo(y.Slice(o, inner));
                    o += inner;
                }
            }
        }
    }
}
