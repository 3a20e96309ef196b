using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// Operators that only change a tensor's shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity): the planner
/// gives the output the input's storage where it can, so most calls copy nothing.
/// </summary>
public abstract record ViewOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public sealed override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        Span<int> ys = stackalloc int[ShapeMath.MaxRank];
        var rank = OutputShape(c, xs, ys);
        if (ShapeMath.Product(ys[..rank]) != ShapeMath.Product(xs))
        {
            throw Fail($"cannot give the input {ShapeMath.Format(xs)} the shape {ShapeMath.Format(ys[..rank])}.");
        }

        if (c.SameStorage(X, Y))
        {
            c.OutputBytes(Y, ys[..rank]);
            return;
        }

        var x = c.Bytes(X);
        x.CopyTo(c.OutputBytes(Y, ys[..rank]));
    }

    /// <summary>Writes the output shape into <paramref name="ys"/> and returns its rank.</summary>
    protected abstract int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys);
}

/// <summary>ONNX Identity, Dropout (inference), Cast to the same type: a copy, or nothing when storage is shared.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
public sealed record IdentityOp(int X, int Y) : ViewOp(X, Y)
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    protected override int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys)
    {
        xs.CopyTo(ys);
        return xs.Length;
    }
}

/// <summary>
/// ONNX Reshape: the target shape comes from <paramref name="ShapeValue"/> (an int64 tensor computed per call)
/// or, when that is -1, from the constant <paramref name="Shape"/>. 0 copies the input's dim (unless
/// <paramref name="AllowZero"/>), -1 is inferred.
/// </summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="ShapeValue">The value id of a computed shape, or -1.</param>
/// <param name="Shape">The constant target shape when <paramref name="ShapeValue"/> is -1.</param>
/// <param name="AllowZero">ONNX allowzero (opset 14): 0 means a zero dim.</param>
public sealed record ReshapeOp(int X, int Y, int ShapeValue, long[] Shape, bool AllowZero) : ViewOp(X, Y)
{
    /// <inheritdoc/>
    // A first target dim of 0 copies the samples' dim; -1 infers it, which SampleFlow's probe checks is the batch.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => ShapeValue < 0 && Shape.Length > 0 && (Shape[0] == -1 || (Shape[0] == 0 && !AllowZero)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    protected override int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys)
    {
        var target = ShapeValue >= 0 ? c.Longs(ShapeValue) : Shape;
        if (target.Length > ShapeMath.MaxRank)
        {
            throw Fail($"the target rank {target.Length} exceeds {ShapeMath.MaxRank}.");
        }

        var inferred = -1;
        long known = 1;
        for (var i = 0; i < target.Length; i++)
        {
            var d = target[i];
            if (d == -1)
            {
                if (inferred >= 0)
                {
                    throw Fail("the target shape has more than one -1.");
                }

                inferred = i;
                continue;
            }

            if (d == 0 && !AllowZero)
            {
                d = i < xs.Length ? xs[i] : throw Fail($"0 at position {i} copies a dim the input {ShapeMath.Format(xs)} does not have.");
            }

            if (d < 0 || d > int.MaxValue)
            {
                throw Fail($"the target shape has the dim {target[i]}.");
            }

            ys[i] = (int)d;
            known *= d;
        }

        if (inferred >= 0)
        {
            var total = ShapeMath.Product(xs);
            if (known == 0 || total % known != 0)
            {
                throw Fail($"cannot infer the -1 dim: {total} elements are not a multiple of {known}.");
            }

            ys[inferred] = (int)(total / known);
        }

        return target.Length;
    }
}

/// <summary>ONNX Flatten: <c>[Π dims before axis, Π dims from axis]</c>.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Axis">The axis (negative counts from the end; may equal the rank).</param>
public sealed record FlattenOp(int X, int Y, int Axis) : ViewOp(X, Y)
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (Axis < 0 ? Axis + flow.Rank(X) : Axis) >= 1 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    protected override int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys)
    {
        var axis = Axis < 0 ? Axis + xs.Length : Axis;
        if (axis < 0 || axis > xs.Length)
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        ys[0] = ShapeMath.Product(xs[..axis]);
        ys[1] = ShapeMath.Product(xs[axis..]);
        return 2;
    }
}

/// <summary>ONNX Squeeze: removes the listed size-1 axes (all size-1 axes when the list is empty).</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Axes">Axes of the input (negative counts from the end).</param>
public sealed record SqueezeOp(int X, int Y, int[] Axes) : ViewOp(X, Y)
{
    /// <inheritdoc/>
    // No axes means every 1-dim, which would take the samples' axis from a chunk of one.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Axes.Length > 0 && Array.TrueForAll(Axes, a => SampleFlow.IsInnerAxis(a, flow.Rank(X))) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    protected override int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys)
    {
        var drop = 0;
        foreach (var a in Axes)
        {
            if (!ShapeMath.TryAxis(a, xs.Length, out var axis) || xs[axis] != 1)
            {
                throw Fail($"axis {a} of the input {ShapeMath.Format(xs)} is not a size-1 dim.");
            }

            drop |= 1 << axis;
        }

        var rank = 0;
        for (var i = 0; i < xs.Length; i++)
        {
            var squeeze = Axes.Length == 0 ? xs[i] == 1 : (drop & (1 << i)) != 0;
            if (!squeeze)
            {
                ys[rank++] = xs[i];
            }
        }

        return rank;
    }
}

/// <summary>ONNX Unsqueeze: inserts size-1 axes at the listed output positions.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Axes">Axes of the output (negative counts from the end).</param>
public sealed record UnsqueezeOp(int X, int Y, int[] Axes) : ViewOp(X, Y)
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => Array.TrueForAll(Axes, a => SampleFlow.IsInnerAxis(a, flow.Rank(Y))) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    protected override int OutputShape(OpContext c, ReadOnlySpan<int> xs, Span<int> ys)
    {
        var rank = xs.Length + Axes.Length;
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"the output rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        var insert = 0;
        foreach (var a in Axes)
        {
            if (!ShapeMath.TryAxis(a, rank, out var axis) || (insert & (1 << axis)) != 0)
            {
                throw Fail($"axis {a} is outside the output rank {rank} or repeated.");
            }

            insert |= 1 << axis;
        }

        var j = 0;
        for (var i = 0; i < rank; i++)
        {
            ys[i] = (insert & (1 << i)) != 0 ? 1 : xs[j++];
        }

        return rank;
    }
}
