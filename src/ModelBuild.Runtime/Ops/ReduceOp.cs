using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp and
/// ReduceSumSquare (Operators.md, Reduce*): folds <paramref name="X"/> over <paramref name="Axes"/> (all axes when
/// empty). With <paramref name="KeepDims"/> each reduced axis stays as a 1, otherwise it is removed. With
/// <paramref name="NoopWithEmptyAxes"/> and no axes nothing is folded: every element goes through the function's
/// element map alone (Sum → x, SumSquare → x², L1 → |x|, as ONNX's reference does). An empty reduced set gives the
/// fold's identity (Sum 0, Prod 1, Max −∞, Min +∞, LogSum −∞, Mean NaN).
/// </summary>
/// <param name="X">Input, any rank: float32, or int64 for Sum, Prod, Max, Min, L1 and SumSquare.</param>
/// <param name="Y">Output, the input's type: the input's shape with the reduced axes set to 1 (<paramref name="KeepDims"/>) or removed.</param>
/// <param name="Function">The reduction.</param>
/// <param name="Axes">The axes to reduce (negative counts from the end; no duplicates); empty = all, or none with <paramref name="NoopWithEmptyAxes"/>.</param>
/// <param name="KeepDims">Keep reduced axes as size 1.</param>
/// <param name="NoopWithEmptyAxes">Empty <paramref name="Axes"/> reduce nothing instead of everything.</param>
public sealed record ReduceOp(int X, int Y, ReduceFunction Function, int[] Axes, bool KeepDims, bool NoopWithEmptyAxes) : Op
{
    /// <inheritdoc/>
    // No axes reduces everything, samples included (unless NoopWithEmptyAxes).
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (Axes.Length > 0 ? Array.TrueForAll(Axes, a => SampleFlow.IsInnerAxis(a, flow.Rank(X))) : NoopWithEmptyAxes) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var mask = AxesMask(xs.Length);
        Span<int> shape = stackalloc int[xs.Length];
        var rank = 0;
        for (var a = 0; a < xs.Length; a++)
        {
            if (((mask >> a) & 1) == 0)
            {
                shape[rank++] = xs[a];
            }
            else if (KeepDims)
            {
                shape[rank++] = 1;
            }
        }

        if (c.TypeOf(X) == TensorType.Int64)
        {
            Kernels.Reduce(Function, c.Longs(X), xs, mask, c.OutputLongs(Y, shape[..rank]));
            return;
        }

        Kernels.Reduce(Function, c.Floats(X), xs, mask, c.OutputFloats(Y, shape[..rank]), c.Scratch(Kernels.ReduceScratch(xs, mask)));
    }

    /// <summary>Bit a set = axis a is reduced.</summary>
    private int AxesMask(int rank)
    {
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} is above {ShapeMath.MaxRank}.");
        }

        if (Axes.Length == 0)
        {
            return NoopWithEmptyAxes ? 0 : (int)((1L << rank) - 1);
        }

        var mask = 0;
        foreach (var axis in Axes)
        {
            if (!ShapeMath.TryAxis(axis, rank, out var a))
            {
                throw Fail($"axis {axis} is outside a rank-{rank} input.");
            }

            if (((mask >> a) & 1) != 0)
            {
                throw Fail($"axis {axis} is listed twice in [{string.Join(", ", Axes)}].");
            }

            mask |= 1 << a;
        }

        return mask;
    }
}
