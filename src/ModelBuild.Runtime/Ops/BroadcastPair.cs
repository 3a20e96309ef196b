using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// Two operands broadcast together (numpy rules): the output shape and both operand shapes left-padded with 1s to its
/// rank. The common start of the two-operand element-wise ops (<see cref="BinaryOp"/>, <see cref="CompareOp"/>,
/// <see cref="LogicalOp"/>).
/// </summary>
internal readonly ref struct BroadcastPair
{
    /// <summary>The scratch ints <see cref="Of"/> needs: three shapes of at most <see cref="ShapeMath.MaxRank"/> dims.</summary>
    public const int ScratchLength = 3 * ShapeMath.MaxRank;

    private BroadcastPair(Span<int> output, Span<int> padA, Span<int> padB)
    {
        Output = output;
        PadA = padA;
        PadB = padB;
    }

    /// <summary>The output shape.</summary>
    public ReadOnlySpan<int> Output { get; }

    /// <summary>The left operand's shape padded to the output's rank.</summary>
    public ReadOnlySpan<int> PadA { get; }

    /// <summary>The right operand's shape padded to the output's rank.</summary>
    public ReadOnlySpan<int> PadB { get; }

    /// <summary>
    /// The shapes <paramref name="sa"/> and <paramref name="sb"/> broadcast together, in <paramref name="scratch"/>
    /// (<see cref="ScratchLength"/> ints); throws <paramref name="op"/>'s error when the rank exceeds
    /// <see cref="ShapeMath.MaxRank"/> or the shapes do not broadcast.
    /// </summary>
    public static BroadcastPair Of(Op op, ReadOnlySpan<int> sa, ReadOnlySpan<int> sb, Span<int> scratch)
    {
        var rank = Math.Max(sa.Length, sb.Length);
        if (rank > ShapeMath.MaxRank)
        {
            throw op.Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> output = scratch[..rank], padA = scratch.Slice(rank, rank), padB = scratch.Slice(2 * rank, rank);
        return Broadcasting.TryShapes(sa, sb, output, padA, padB) ? new BroadcastPair(output, padA, padB)
            : throw op.Fail($"the shapes {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} do not broadcast.");
    }

    /// <summary><c>y[i] = f(a[…], b[…])</c> over the output shape (<see cref="Broadcasting.Run{TA, TB, TY, TF}"/>).</summary>
    public void Run<TA, TB, TY, TF>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TY> y, TF f)
        where TF : struct, IBroadcastFunction<TA, TB, TY> =>
        Broadcasting.Run(a, PadA, b, PadB, y, Output, f);
}
