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

        if (Strides.IndicesExceedData(xs, ids, axis) is { } problem)
        {
            throw Fail(problem);
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
            var dst = Strides.OffsetAlongAxis(index, strides, axis, indices[u], n);
            if (dst < 0)
            {
                throw Fail($"index {indices[u]} is outside axis {axis} of size {n}.");
            }

            scatter.Apply(dst, u, 1);
            Strides.Next(index, ids);
        }
    }
}

/// <summary>Combines runs of update elements into the output of a scatter operator, by element type and reduction.</summary>
internal readonly ref struct Scatter
{
    private readonly Span<float> _yf;
    private readonly ReadOnlySpan<float> _uf;
    private readonly Span<long> _yl;
    private readonly ReadOnlySpan<long> _ul;
    private readonly Span<bool> _yb;
    private readonly ReadOnlySpan<bool> _ub;
    private readonly ScatterReduction _reduction;
    private readonly TensorType _type;

    /// <summary>Binds the output (already written with the data's values) and the updates.</summary>
    public Scatter(OpContext c, Op op, int updates, int y, ScatterReduction reduction)
    {
        _reduction = reduction;
        _type = c.TypeOf(y);
        if (c.TypeOf(updates) != _type || (_type == TensorType.Bool && reduction != ScatterReduction.None))
        {
            throw new ArgumentException($"'{op.Node}': updates of type {c.TypeOf(updates)} with reduction {reduction} into {_type}.");
        }

        // Asking for the output again with its current shape returns the same storage without growing it.
        var shape = c.Shape(y);
        switch (_type)
        {
            case TensorType.Float32:
                _yf = c.OutputFloats(y, shape);
                _uf = c.Floats(updates);
                break;
            case TensorType.Int64:
                _yl = c.OutputLongs(y, shape);
                _ul = c.Longs(updates);
                break;
            default:
                _yb = c.OutputBools(y, shape);
                _ub = c.Bools(updates);
                break;
        }
    }

    /// <summary><c>y[dst..dst+count) = reduce(y, updates[src..src+count))</c>.</summary>
    public void Apply(int dst, int src, int count)
    {
        switch (_type)
        {
            case TensorType.Float32:
                Combine(_yf.Slice(dst, count), _uf.Slice(src, count), _reduction);
                break;
            case TensorType.Int64:
                Combine(_yl.Slice(dst, count), _ul.Slice(src, count), _reduction);
                break;
            default:
                _ub.Slice(src, count).CopyTo(_yb.Slice(dst, count));
                break;
        }
    }

    private static void Combine(Span<float> y, ReadOnlySpan<float> u, ScatterReduction reduction)
    {
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = reduction switch
            {
                ScatterReduction.Add => y[i] + u[i],
                ScatterReduction.Mul => y[i] * u[i],
                ScatterReduction.Max => MathF.Max(y[i], u[i]),
                ScatterReduction.Min => MathF.Min(y[i], u[i]),
                _ => u[i],
            };
        }
    }

    private static void Combine(Span<long> y, ReadOnlySpan<long> u, ScatterReduction reduction)
    {
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = reduction switch
            {
                ScatterReduction.Add => unchecked(y[i] + u[i]),
                ScatterReduction.Mul => unchecked(y[i] * u[i]),
                ScatterReduction.Max => Math.Max(y[i], u[i]),
                ScatterReduction.Min => Math.Min(y[i], u[i]),
                _ => u[i],
            };
        }
    }
}
