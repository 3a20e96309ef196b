using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX MatMul of any two float tensors (numpy <c>matmul</c>): <c>y[…, i, j] = Σ_p a[…, i, p] · b[…, p, j]</c>, the
/// leading dims broadcast; a 1-D <c>a</c> is a row <c>[1, K]</c> and a 1-D <c>b</c> a column <c>[K, 1]</c>, and the
/// added dim is dropped from the result. For activations on both sides (attention) and constant left operands;
/// a constant 2-D right operand is lowered to <see cref="DenseOp"/> instead.
/// </summary>
/// <param name="A">Left operand, rank ≥ 1.</param>
/// <param name="B">Right operand, rank ≥ 1.</param>
/// <param name="Y">Output.</param>
public sealed record MatMulOp(int A, int B, int Y) : Op
{
    /// <inheritdoc/>
    // The samples' axis must stay the output's axis 0: a batched operand of the output's rank, at least 3-D when it is
    // the right one (a 2-D right operand's rows are what the product sums over). The other operand is batched the same
    // way, or a constant that broadcasts over the leading dims.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
    {
        int ra = flow.Rank(A), rb = flow.Rank(B), ry = flow.Rank(Y);
        bool a = flow.IsBatched(A) && ra >= 2 && ra == ry;
        bool b = flow.IsBatched(B) && rb >= 3 && rb == ry;
        bool constantA = flow.IsConstant(A) && (ra <= 2 || ra < ry || flow.Shape(A)[0] == 1);
        bool constantB = flow.IsConstant(B) && (rb <= 2 || rb < ry || flow.Shape(B)[0] == 1);
        return ((a && (b || constantB)) || (b && constantA)) && flow.Batched(Y);
    }

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var sa = c.Shape(A);
        var sb = c.Shape(B);
        if (sa.Length == 0 || sb.Length == 0)
        {
            throw Fail($"the operands {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} must have rank ≥ 1.");
        }

        int m = sa.Length == 1 ? 1 : sa[^2], k = sa[^1];
        int kb = sb.Length == 1 ? sb[0] : sb[^2], n = sb.Length == 1 ? 1 : sb[^1];
        if (k != kb)
        {
            throw Fail($"the inner dims of {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} differ ({k} vs {kb}).");
        }

        var batchA = sa.Length > 2 ? sa[..^2] : [];
        var batchB = sb.Length > 2 ? sb[..^2] : [];
        var batchRank = Math.Max(batchA.Length, batchB.Length);
        if (batchRank + 2 > ShapeMath.MaxRank)
        {
            throw Fail($"rank {batchRank + 2} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> batch = stackalloc int[batchRank];
        if (!ShapeMath.TryBroadcast(batchA, batchB, batch))
        {
            throw Fail($"the batch dims of {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} do not broadcast.");
        }

        Span<int> ys = stackalloc int[batchRank + (sa.Length > 1 ? 1 : 0) + (sb.Length > 1 ? 1 : 0)];
        batch.CopyTo(ys);
        if (sa.Length > 1)
        {
            ys[batchRank] = m;
        }

        if (sb.Length > 1)
        {
            ys[^1] = n;
        }

        var y = c.OutputFloats(Y, ys);
        if (y.Length == 0)
        {
            return;
        }

        Run(c.Floats(A), batchA, c.Floats(B), batchB, y, batch, m, k, n);
    }

    /// <summary>One 2-D product per broadcast batch index (one product in all when only A has batch dims).</summary>
    private static void Run(ReadOnlySpan<float> a, ReadOnlySpan<int> batchA, ReadOnlySpan<float> b, ReadOnlySpan<int> batchB,
        Span<float> y, ReadOnlySpan<int> batch, int m, int k, int n)
    {
        var count = ShapeMath.Product(batch);
        if (ShapeMath.Product(batchB) == 1 && ShapeMath.Product(batchA) == count)
        {
            // B is one matrix: A's batch rows are rows of one tall product (a Linear layer on a sequence).
            Kernels.MatMul(Simd.Best, a, b, y, count * m, k, n);
            return;
        }

        var rank = batch.Length;
        Span<int> pa = stackalloc int[rank];
        Span<int> pb = stackalloc int[rank];
        Span<int> strideA = stackalloc int[rank];
        Span<int> strideB = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        ShapeMath.PadLeft(batchA, pa);
        ShapeMath.PadLeft(batchB, pb);
        Broadcasting.Strides(pa, strideA);
        Broadcasting.Strides(pb, strideB);
        index.Clear();
        int sizeA = m * k, sizeB = k * n, sizeY = m * n;
        for (var i = 0; i < count; i++)
        {
            int ia = 0, ib = 0;
            for (var d = 0; d < rank; d++)
            {
                ia += index[d] * strideA[d];
                ib += index[d] * strideB[d];
            }

            Kernels.MatMul(Simd.Best, a.Slice(ia * sizeA, sizeA), b.Slice(ib * sizeB, sizeB), y.Slice(i * sizeY, sizeY), m, k, n);
            for (var d = rank - 1; d >= 0 && ++index[d] == batch[d]; d--)
            {
                index[d] = 0;
            }
        }
    }
}
