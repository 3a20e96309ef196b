using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// The 512-bit head of <see cref="DenseBlocks.Block4x1"/> (batch-1 GEMV): 4 weight rows share each x load,
/// two accumulators per row (even and odd 16-wide chunks) keep 8 FMA chains in flight. The sums are folded
/// to 256 bits so the caller's 8-wide loop and scalar tail finish the remaining k. Like the 256-bit loop, it prefetches
/// the next block of 4 rows while it runs, on layers of 2 MB or more (<see cref="RowPrefetch"/>): without that, a layer
/// streamed from memory (8192 × 8192 int8, 64 MB) took 3.7–4.0 ms here against 2.8–3.2 ms on the 256-bit loop.
/// </summary>
internal static class DenseBlocksZmm
{
    /// <summary>
    /// Shortest rows that take this head. It has no ReadyToRun code and costs 3.5 ms of JIT per weight format in a first
    /// prediction, more than a short-row layer could ever give back (mnist-8's only Dense, 256 → 10, is 2,560
    /// multiply-adds); the precompiled 256-bit loop takes those. A layer's K decides, so a layer always gets the same bits.
    /// </summary>
    public const int MinK = 512;

    /// <summary>
    /// Multiply-adds a process runs through <see cref="DenseBlocksZmmTwin"/> (precompiled, the same bits) before it takes
    /// this head: its compile costs 3.5 ms per weight format, and the twin runs at about half its rate on bytes-bound rows
    /// (≈ 1.5 ms more per 100 M multiply-adds), so the switch comes once the work would have paid for the compile.
    /// </summary>
    internal static long AfterMacs { get => s_zmm.AfterMacs; set => s_zmm.AfterMacs = value; }

    private static readonly ZmmSwitch s_zmm = new(250_000_000);

    /// <summary>Counts a call's <paramref name="macs"/>; true once the process is past <see cref="AfterMacs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Hot(long macs) => s_zmm.Hot(macs);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Block4x1<TL>(ref float x, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, bool prefetch, ref int i,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3, out Vector256<float> rs)
        where TL : struct, IWeightLoader
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, sa = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, sb = default;
        int j = i;

        // The next 4 rows (loaders space rows equally) spread over this block's iterations, a cache line at a time.
        nint rowBytes = Unsafe.ByteOffset(ref w0, ref w1);
        byte* ahead = (byte*)Unsafe.AsPointer(ref w0) + (4 * rowBytes);
        nint step = Math.Max(64, 4 * rowBytes * 32 / Math.Max(1, k));
        for (; j <= k - 32; j += 32, ahead += step)
        {
            if (prefetch)
            {
                for (nint line = 0; line < step; line += 64)
                {
                    Sse.Prefetch0(ahead + line);
                }
            }

            Vector512<float> va = Vector512.LoadUnsafe(ref x, (nuint)j);
            Vector512<float> vb = Vector512.LoadUnsafe(ref x, (nuint)(j + 16));
            a0 = Vector512.FusedMultiplyAdd(TL.Load512(ref w0, j), va, a0);
            a1 = Vector512.FusedMultiplyAdd(TL.Load512(ref w1, j), va, a1);
            a2 = Vector512.FusedMultiplyAdd(TL.Load512(ref w2, j), va, a2);
            a3 = Vector512.FusedMultiplyAdd(TL.Load512(ref w3, j), va, a3);
            b0 = Vector512.FusedMultiplyAdd(TL.Load512(ref w0, j + 16), vb, b0);
            b1 = Vector512.FusedMultiplyAdd(TL.Load512(ref w1, j + 16), vb, b1);
            b2 = Vector512.FusedMultiplyAdd(TL.Load512(ref w2, j + 16), vb, b2);
            b3 = Vector512.FusedMultiplyAdd(TL.Load512(ref w3, j + 16), vb, b3);
            if (TL.Asymmetric)
            {
                sa += va;
                sb += vb;
            }
        }

        if (j <= k - 16)
        {
            Vector512<float> va = Vector512.LoadUnsafe(ref x, (nuint)j);
            a0 = Vector512.FusedMultiplyAdd(TL.Load512(ref w0, j), va, a0);
            a1 = Vector512.FusedMultiplyAdd(TL.Load512(ref w1, j), va, a1);
            a2 = Vector512.FusedMultiplyAdd(TL.Load512(ref w2, j), va, a2);
            a3 = Vector512.FusedMultiplyAdd(TL.Load512(ref w3, j), va, a3);
            if (TL.Asymmetric)
            {
                sa += va;
            }

            j += 16;
        }

        i = j;
        r0 = Fold(a0 + b0);
        r1 = Fold(a1 + b1);
        r2 = Fold(a2 + b2);
        r3 = Fold(a3 + b3);
        rs = Fold(sa + sb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();
}
