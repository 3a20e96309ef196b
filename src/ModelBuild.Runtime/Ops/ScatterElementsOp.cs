using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ScatterElements (and the deprecated Scatter), float32/int64 (bool with no reduction): y = x, then for every
/// position i… of <c>indices</c> (same shape as <c>updates</c>),
/// <c>y[i… with i[axis] = indices[i…]] = reduce(that element, updates[i…])</c>, in row-major order of i….
/// Negative indices count from the end.
/// </summary>
/// <param name="X">Data.</param>
/// <param name="Indices">int64 indices.</param>
/// <param name="Updates">Updates, same type as X and same shape as the indices.</param>
/// <param name="Y">Output, X's shape.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="Reduction">How an update combines with the element.</param>
public sealed record ScatterElementsOp(int X, int Indices, int Updates, int Y, int Axis, ScatterReduction Reduction) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var ids = c.Shape(Indices);
        var rank = xs.Length;
        if (!ShapeMath.TryAxis(Axis, rank, out var axis) || ids.Length != rank || !ids.SequenceEqual(c.Shape(Updates)) || rank > ShapeMath.MaxRank)
        {
            throw Fail($"axis {Axis}, data {ShapeMath.Format(xs)}, indices {ShapeMath.Format(ids)} and updates {ShapeMath.Format(c.Shape(Updates))} do not fit.");
        }

        for (var d = 0; d < rank; d++)
        {
            if (d != axis && ids[d] > xs[d])
            {
                throw Fail($"the indices {ShapeMath.Format(ids)} exceed the data {ShapeMath.Format(xs)} on axis {d}.");
            }
        }

        var size = c.ElementSize(X);
        c.Bytes(X).CopyTo(c.OutputBytes(Y, xs));
        var indices = c.Longs(Indices);
        Span<int> strides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        Strides.Of(xs, strides);
        index.Clear();
        var n = xs[axis];
        var scatter = new Scatter(c, this, Updates, Y, Reduction);
        for (var u = 0; u < indices.Length; u++)
        {
            var k = indices[u] < 0 ? indices[u] + n : indices[u];
            if ((ulong)k >= (ulong)n)
            {
                throw Fail($"index {indices[u]} is outside axis {axis} of size {n}.");
            }

            var dst = 0;
            for (var d = 0; d < rank; d++)
            {
                dst += (d == axis ? (int)k : index[d]) * strides[d];
            }

            scatter.Apply(c, dst, u, 1);
            Strides.Next(index, ids);
        }
    }
}

/// <summary>Combines runs of update elements into the output of a scatter operator, by element type and reduction.</summary>
internal readonly struct Scatter
{
    private readonly int _updates;
    private readonly int _y;
    private readonly ScatterReduction _reduction;
    private readonly TensorType _type;

    public Scatter(OpContext c, Op op, int updates, int y, ScatterReduction reduction)
    {
        _updates = updates;
        _y = y;
        _reduction = reduction;
        _type = c.TypeOf(y);
        if (c.TypeOf(updates) != _type || (_type == TensorType.Bool && reduction != ScatterReduction.None))
        {
            throw new ArgumentException($"'{op.Node}': updates of type {c.TypeOf(updates)} with reduction {reduction} into {_type}.");
        }
    }

    /// <summary><c>y[dst..dst+count) = reduce(y, updates[src..src+count))</c>.</summary>
    public void Apply(OpContext c, int dst, int src, int count)
    {
        var shape = c.Shape(_y);
        switch (_type)
        {
            case TensorType.Float32:
            {
                var y = c.OutputFloats(_y, shape).Slice(dst, count);
                var u = c.Floats(_updates).Slice(src, count);
                for (var i = 0; i < count; i++)
                {
                    y[i] = _reduction switch
                    {
                        ScatterReduction.Add => y[i] + u[i],
                        ScatterReduction.Mul => y[i] * u[i],
                        ScatterReduction.Max => MathF.Max(y[i], u[i]),
                        ScatterReduction.Min => MathF.Min(y[i], u[i]),
                        _ => u[i],
                    };
                }

                break;
            }

            case TensorType.Int64:
            {
                var y = c.OutputLongs(_y, shape).Slice(dst, count);
                var u = c.Longs(_updates).Slice(src, count);
                for (var i = 0; i < count; i++)
                {
                    y[i] = _reduction switch
                    {
                        ScatterReduction.Add => unchecked(y[i] + u[i]),
                        ScatterReduction.Mul => unchecked(y[i] * u[i]),
                        ScatterReduction.Max => Math.Max(y[i], u[i]),
                        ScatterReduction.Min => Math.Min(y[i], u[i]),
                        _ => u[i],
                    };
                }

                break;
            }

            default:
                c.Bools(_updates).Slice(src, count).CopyTo(c.OutputBools(_y, shape).Slice(dst, count));
                break;
        }
    }
}
