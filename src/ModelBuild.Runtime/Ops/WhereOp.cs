using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Where: <c>Output = Condition ? X : Y</c> element-wise, all three broadcast together (numpy rules). X and Y
/// are float32, int64 or bool, the same type as the output.
/// </summary>
/// <param name="Condition">The selector (bool).</param>
/// <param name="X">Taken where the condition is true.</param>
/// <param name="Y">Taken where it is false.</param>
/// <param name="Output">The broadcast shape of the three.</param>
public sealed record WhereOp(int Condition, int X, int Y, int Output) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (flow.IsBatched(Condition) || flow.IsBatched(X) || flow.IsBatched(Y)) && flow.IsElementwiseOperand(Condition, flow.Rank(Output))
        && flow.IsElementwiseOperand(X, flow.Rank(Output)) && flow.IsElementwiseOperand(Y, flow.Rank(Output)) && flow.Batched(Output);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var sc = c.Shape(Condition);
        var sx = c.Shape(X);
        var sy = c.Shape(Y);
        var rank = Math.Max(sc.Length, Math.Max(sx.Length, sy.Length));
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> cx = stackalloc int[Math.Max(sc.Length, sx.Length)];
        Span<int> shape = stackalloc int[rank];
        if (!ShapeMath.TryBroadcast(sc, sx, cx) || !ShapeMath.TryBroadcast(cx, sy, shape))
        {
            throw Fail($"the shapes {ShapeMath.Format(sc)}, {ShapeMath.Format(sx)} and {ShapeMath.Format(sy)} do not broadcast.");
        }

        switch (c.TypeOf(Output))
        {
            case TensorType.Float32:
                Select(c.Bools(Condition), sc, c.Floats(X), sx, c.Floats(Y), sy, c.OutputFloats(Output, shape), shape);
                break;
            case TensorType.Int64:
                Select(c.Bools(Condition), sc, c.Longs(X), sx, c.Longs(Y), sy, c.OutputLongs(Output, shape), shape);
                break;
            default:
                Select(c.Bools(Condition), sc, c.Bools(X), sx, c.Bools(Y), sy, c.OutputBools(Output, shape), shape);
                break;
        }
    }

    private static void Select<T>(ReadOnlySpan<bool> cond, ReadOnlySpan<int> sc, ReadOnlySpan<T> x, ReadOnlySpan<int> sx,
        ReadOnlySpan<T> y, ReadOnlySpan<int> sy, Span<T> output, ReadOnlySpan<int> shape)
    {
        var rank = shape.Length;
        Span<int> padded = stackalloc int[rank];
        Span<int> stC = stackalloc int[rank];
        Span<int> stX = stackalloc int[rank];
        Span<int> stY = stackalloc int[rank];
        ShapeMath.PadLeft(sc, padded);
        Broadcasting.Strides(padded, stC);
        ShapeMath.PadLeft(sx, padded);
        Broadcasting.Strides(padded, stX);
        ShapeMath.PadLeft(sy, padded);
        Broadcasting.Strides(padded, stY);
        Span<int> index = stackalloc int[rank];
        index.Clear();
        int ic = 0, ix = 0, iy = 0;
        for (var i = 0; i < output.Length; i++)
        {
            output[i] = cond[ic] ? x[ix] : y[iy];
            for (var d = rank - 1; d >= 0; d--)
            {
                ic += stC[d];
                ix += stX[d];
                iy += stY[d];
                if (++index[d] < shape[d])
                {
                    break;
                }

                ic -= stC[d] * shape[d];
                ix -= stX[d] * shape[d];
                iy -= stY[d] * shape[d];
                index[d] = 0;
            }
        }
    }
}
