using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    private const int MaxBinaryRank = 16;

    /// <summary>
    /// Element-wise <paramref name="f"/> with numpy broadcasting over per-sample shapes of equal rank; the
    /// batch is one more leading dimension, broadcast for an operand without it.
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="a">Left operand: <c>(aBatched ? batch : 1) × Π shapeA</c> floats.</param>
    /// <param name="shapeA">Per-sample shape of <paramref name="a"/>; each dim is 1 or the output's.</param>
    /// <param name="aBatched">Whether <paramref name="a"/> has a leading batch dim (activations do, weights do not).</param>
    /// <param name="b">Right operand.</param>
    /// <param name="shapeB">Per-sample shape of <paramref name="b"/>.</param>
    /// <param name="bBatched">Whether <paramref name="b"/> has a leading batch dim.</param>
    /// <param name="y">Output: <c>batch × Π shapeOut</c> floats; may be the same memory as an operand of the output's shape.</param>
    /// <param name="shapeOut">Per-sample output shape.</param>
    /// <param name="batch">Number of samples.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Binary(BinaryFunction f, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch)
    {
        BinaryBody(f, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch);
    }

    // Binary's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BinaryBody(BinaryFunction f, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch)
    {
        int rank = shapeOut.Length;
        if (shapeA.Length != rank || shapeB.Length != rank || rank > MaxBinaryRank)
        {
            throw new ArgumentException($"shapeA, shapeB and shapeOut must have the same rank (≤ {MaxBinaryRank}); got {shapeA.Length}, {shapeB.Length}, {rank}.", nameof(shapeOut));
        }

        long sizeA = 1, sizeB = 1, sizeOut = 1;
        for (int i = 0; i < rank; i++)
        {
            if ((shapeA[i] != 1 && shapeA[i] != shapeOut[i]) || (shapeB[i] != 1 && shapeB[i] != shapeOut[i]) || shapeOut[i] < 0)
            {
                throw new ArgumentException($"Dimension {i}: {shapeA[i]} and {shapeB[i]} do not broadcast to {shapeOut[i]}.", nameof(shapeOut));
            }

            sizeA *= shapeA[i];
            sizeB *= shapeB[i];
            sizeOut *= shapeOut[i];
        }

        Check.AtLeast(a.Length, (aBatched ? batch : 1) * sizeA, nameof(a), aBatched ? "batch × Π shapeA" : "Π shapeA");
        Check.AtLeast(b.Length, (bBatched ? batch : 1) * sizeB, nameof(b), bBatched ? "batch × Π shapeB" : "Π shapeB");
        Check.AtLeast(y.Length, batch * sizeOut, nameof(y), "batch × Π shapeOut");
        if ((uint)f >= EnumCounts.Binary)
        {
            throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown binary function.");
        }

        Binary(Simd.Best, f, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Binary(SimdLevel level, BinaryFunction f, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch)
    {
        BinaryBody(level, f, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch);
    }

    // Binary's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BinaryBody(SimdLevel level, BinaryFunction f, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch)
    {
        switch (f)
        {
            case BinaryFunction.Add: Broadcast<AddOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Sub: Broadcast<SubOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Mul: Broadcast<MulOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Div: Broadcast<DivOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Max: Broadcast<MaxOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Min: Broadcast<MinOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Pow: Broadcast<PowOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.Mod: Broadcast<ModOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            case BinaryFunction.FMod: Broadcast<FModOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
            default: Broadcast<PReluOperator>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch); break;
        }
    }

    // A loop, not Span.Contains: that instantiation is not precompiled, so it cost each process a JIT compilation in
    // its first prediction (cold start, issue 12); a shape has a handful of dims.
    private static bool HasZero(ReadOnlySpan<int> dims)
    {
        foreach (int d in dims)
        {
            if (d == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Broadcasting without index arithmetic per element: give every dim a stride per operand (0 where it is
    /// broadcast), drop size-1 dims and merge neighbours that are contiguous for both operands. What is left
    /// is a short odometer over outer dims and one inner run that is span×span (same shapes collapse to a
    /// single run), span×scalar (a scalar operand; per-channel [C,1,1] gives runs of H·W) or scalar×span.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Broadcast<TOp>(SimdLevel level, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch)
        where TOp : struct, IBinaryOperator
    {
        // Rank-sized index tables: here, so that the body (no stackalloc of a variable size) can be inlined.
        int slots = shapeOut.Length + 1;
        Span<int> tables = slots <= Execution.ShapeMath.MaxRank + 1 ? stackalloc int[4 * (Execution.ShapeMath.MaxRank + 1)] : new int[4 * slots];
        BroadcastBody<TOp>(level, a, shapeA, aBatched, b, shapeB, bBatched, y, shapeOut, batch, tables);
    }

    // Broadcast's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BroadcastBody<TOp>(SimdLevel level, ReadOnlySpan<float> a, ReadOnlySpan<int> shapeA, bool aBatched,
        ReadOnlySpan<float> b, ReadOnlySpan<int> shapeB, bool bBatched, Span<float> y, ReadOnlySpan<int> shapeOut, int batch, Span<int> tables)
        where TOp : struct, IBinaryOperator
    {
        int rank = shapeOut.Length, slots = tables.Length / 4;
        Span<int> dims = tables[..(rank + 1)];
        Span<int> strideA = tables.Slice(slots, rank + 1);
        Span<int> strideB = tables.Slice(2 * slots, rank + 1);
        int sa = 1, sb = 1, m = rank + 1;

        // Fill from the innermost dim outwards; index 0 is the batch.
        for (int i = rank - 1; i >= 0; i--)
        {
            dims[i + 1] = shapeOut[i];
            strideA[i + 1] = shapeA[i] == 1 ? 0 : sa;
            strideB[i + 1] = shapeB[i] == 1 ? 0 : sb;
            sa *= shapeA[i];
            sb *= shapeB[i];
        }

        dims[0] = batch;
        strideA[0] = aBatched ? sa : 0;
        strideB[0] = bBatched ? sb : 0;
        if (batch == 0 || HasZero(dims))
        {
            return;
        }

        // Collapse: write kept dims to the front, merging into the previous kept dim when contiguous.
        int kept = 0;
        for (int i = 0; i < m; i++)
        {
            if (dims[i] == 1)
            {
                continue;
            }

            if (kept > 0 && strideA[kept - 1] == strideA[i] * dims[i] && strideB[kept - 1] == strideB[i] * dims[i])
            {
                dims[kept - 1] *= dims[i];
                strideA[kept - 1] = strideA[i];
                strideB[kept - 1] = strideB[i];
                continue;
            }

            dims[kept] = dims[i];
            strideA[kept] = strideA[i];
            strideB[kept] = strideB[i];
            kept++;
        }

        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (kept == 0)
        {
            yr = TOp.Invoke(ar, br);
            return;
        }

        int inner = dims[kept - 1], ia = strideA[kept - 1], ib = strideB[kept - 1];
        int outerDims = kept - 1;
        Span<int> index = tables.Slice(3 * slots, Math.Max(outerDims, 1));
        index.Clear();
        int offA = 0, offB = 0, offY = 0;
        while (true)
        {
            Run<TOp>(level, ref Unsafe.Add(ref ar, offA), ia, ref Unsafe.Add(ref br, offB), ib, ref Unsafe.Add(ref yr, offY), inner);
            offY += inner;

            // Odometer over the outer dims, innermost first.
            int d = outerDims - 1;
            for (; d >= 0; d--)
            {
                offA += strideA[d];
                offB += strideB[d];
                if (++index[d] < dims[d])
                {
                    break;
                }

                offA -= strideA[d] * dims[d];
                offB -= strideB[d] * dims[d];
                index[d] = 0;
            }

            if (d < 0)
            {
                return;
            }
        }
    }

    private static void Run<TOp>(SimdLevel level, ref float a, int ia, ref float b, int ib, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        if (ia != 0 && ib != 0)
        {
            Elementwise.VV<TOp>(level, ref a, ref b, ref y, n);
        }
        else if (ia != 0)
        {
            // x^2 is common (variance in decomposed LayerNorm) and pow has no vector form: square instead.
            if (typeof(TOp) == typeof(PowOperator) && b == 2f)
            {
                Elementwise.VV<MulOperator>(level, ref a, ref a, ref y, n);
            }
            else
            {
                Elementwise.VS<TOp>(level, ref a, b, ref y, n);
            }
        }
        else if (ib != 0)
        {
            Elementwise.SV<TOp>(level, a, ref b, ref y, n);
        }
        else
        {
            Simd.Fill(MemoryMarshal.CreateSpan(ref y, n), TOp.Invoke(a, b));
        }
    }
}
