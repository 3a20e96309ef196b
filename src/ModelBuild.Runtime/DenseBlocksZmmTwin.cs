using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="DenseBlocksZmm.Block4x1{TL}"/>'s arithmetic in 256-bit vectors, for the calls before a process switches to
/// the 512-bit head (<see cref="DenseBlocksZmm.Hot"/>). Each 16-lane accumulator of the 512-bit head is two 8-lane ones
/// here (columns j…j+7 and j+8…j+15 of each 16-column chunk), every lane gets the same FMAs in the same order, and the
/// fold adds the same pairs ((a + b) low half + (a + b) high half), so the results are the same bits and a layer's output
/// does not change when the switch happens. Two rows per pass (8 accumulators, 4 x vectors): four rows' 16 would not fit
/// the 16 registers. Precompiled (ReadyToRun), unlike the 512-bit head, whose JIT compile (3.5 ms) it spares processes
/// that never do enough batch-1 Dense work to pay for it.
/// </summary>
internal static class DenseBlocksZmmTwin
{
    /// <summary>The outputs and the end column of <see cref="DenseBlocksZmm.Block4x1{TL}"/>, bit for bit.</summary>
    /// <remarks>Not inlined: inlined into <see cref="DenseBlocks.Block4x1{TL}"/>'s tier-1 code, it made that method's own loop slower.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Block4x1<TL>(ref float x, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, ref int i,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3, out Vector256<float> rs)
        where TL : struct, IWeightLoader
    {
        int start = i;
        int end = Rows2<TL>(ref x, ref w0, ref w1, k, start, out r0, out r1, out rs, sums: TL.Asymmetric);
        Rows2<TL>(ref x, ref w2, ref w3, k, start, out r2, out r3, out _, sums: false);
        i = end;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Rows2<TL>(ref float x, ref byte w0, ref byte w1, int k, int j, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> rs, bool sums)
        where TL : struct, IWeightLoader
    {
        return Rows2Body<TL>(ref x, ref w0, ref w1, k, j, out r0, out r1, out rs, sums);
    }

    // Rows2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rows2Body<TL>(ref float x, ref byte w0, ref byte w1, int k, int j, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> rs, bool sums)
        where TL : struct, IWeightLoader
    {
        // a: the first 16 columns of each 32-column chunk (lanes 0–7 lo, 8–15 hi); b: the second 16.
        Vector256<float> a0lo = default, a0hi = default, b0lo = default, b0hi = default;
        Vector256<float> a1lo = default, a1hi = default, b1lo = default, b1hi = default;
        Vector256<float> salo = default, sahi = default, sblo = default, sbhi = default;
        for (; j <= k - 32; j += 32)
        {
            Vector256<float> x0 = Vector256.LoadUnsafe(ref x, (nuint)j), x1 = Vector256.LoadUnsafe(ref x, (nuint)(j + 8));
            Vector256<float> x2 = Vector256.LoadUnsafe(ref x, (nuint)(j + 16)), x3 = Vector256.LoadUnsafe(ref x, (nuint)(j + 24));
            a0lo = Simd.MulAdd(TL.Load256(ref w0, j), x0, a0lo);
            a0hi = Simd.MulAdd(TL.Load256(ref w0, j + 8), x1, a0hi);
            b0lo = Simd.MulAdd(TL.Load256(ref w0, j + 16), x2, b0lo);
            b0hi = Simd.MulAdd(TL.Load256(ref w0, j + 24), x3, b0hi);
            a1lo = Simd.MulAdd(TL.Load256(ref w1, j), x0, a1lo);
            a1hi = Simd.MulAdd(TL.Load256(ref w1, j + 8), x1, a1hi);
            b1lo = Simd.MulAdd(TL.Load256(ref w1, j + 16), x2, b1lo);
            b1hi = Simd.MulAdd(TL.Load256(ref w1, j + 24), x3, b1hi);
            if (sums)
            {
                salo += x0;
                sahi += x1;
                sblo += x2;
                sbhi += x3;
            }
        }

        if (j <= k - 16)
        {
            Vector256<float> x0 = Vector256.LoadUnsafe(ref x, (nuint)j), x1 = Vector256.LoadUnsafe(ref x, (nuint)(j + 8));
            a0lo = Simd.MulAdd(TL.Load256(ref w0, j), x0, a0lo);
            a0hi = Simd.MulAdd(TL.Load256(ref w0, j + 8), x1, a0hi);
            a1lo = Simd.MulAdd(TL.Load256(ref w1, j), x0, a1lo);
            a1hi = Simd.MulAdd(TL.Load256(ref w1, j + 8), x1, a1hi);
            if (sums)
            {
                salo += x0;
                sahi += x1;
            }

            j += 16;
        }

        // The 512-bit fold: (a + b).lower + (a + b).upper.
        r0 = (a0lo + b0lo) + (a0hi + b0hi);
        r1 = (a1lo + b1lo) + (a1hi + b1hi);
        rs = (salo + sblo) + (sahi + sbhi);
        return j;
    }
}
