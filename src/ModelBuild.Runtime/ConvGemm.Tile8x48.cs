using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// 8 channels × 48 pixels with 512-bit vectors (two consecutive packed 4-channel blocks): 24 accumulators,
/// 3 pixel vectors and 1 broadcast use 28 of the 32 registers. Per k it loads the 3 pixel vectors once for
/// 24 FMAs instead of 12, halving the traffic from <c>col</c> (which, K × 48 floats, can exceed L1).
/// </summary>
internal static class Tile8x48Zmm
{
    private static long s_macs;

    /// <summary>
    /// Multiply-adds (channels × K × pixels) this process runs through the tile before <see cref="Hot"/> turns to
    /// <see cref="RunOptimized"/>. This tile's optimised compile takes 13.5 ms, and it has no ReadyToRun code on
    /// AVX-512 processors, so a process first runs it as unoptimised tier-0 code, about 8× slower: cheaper for small
    /// models (mnist-8, squeezenet_cifar10, blazeface_front and ppocr_cls run 0.2–27 M multiply-adds through it in a
    /// prediction), far dearer for large ones (ppocr_rec 615 M: 120 ms of its first prediction, 20 ms once optimised).
    /// </summary>
    internal static long OptimizedAfterMacs { get; set; } = 50_000_000;

    /// <summary>
    /// Counts a convolution's <paramref name="macs"/> and says whether to call <see cref="RunOptimized"/>: once the
    /// process has run <see cref="OptimizedAfterMacs"/> through the tile. Both entries compute the same bits.
    /// </summary>
    public static bool Hot(long macs) => Interlocked.Add(ref s_macs, macs) >= OptimizedAfterMacs;

    /// <summary>The tile, tiered as usual (tier 0 first, optimised after enough calls).</summary>
    /// <remarks>Not inlined: inlined, its 512-bit body kept ReadyToRun from precompiling the caller (ConvGemm.RunPacked).</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ref float wa, ref float col, int k, int ldc, int p, ref float y, int j, in Epilogue ep) =>
        Body(ref wa, ref col, k, ldc, p, ref y, j, ep);

    /// <summary>The tile compiled optimised at its first call (<see cref="Hot"/>); not inlined, as <see cref="Run"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void RunOptimized(ref float wa, ref float col, int k, int ldc, int p, ref float y, int j, in Epilogue ep) =>
        Body(ref wa, ref col, k, ldc, p, ref y, j, ep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Body(ref float wa, ref float col, int k, int ldc, int p, ref float y, int j, in Epilogue ep)
    {
        ref float wb = ref Unsafe.Add(ref wa, ConvGemm.Mr * k);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int i = 0; i < k; i++)
        {
            Vector512<float> xa = Vector512.LoadUnsafe(ref col);
            Vector512<float> xb = Vector512.LoadUnsafe(ref col, 16);
            Vector512<float> xc = Vector512.LoadUnsafe(ref col, 32);
            Step(Vector512.Create(wa), xa, xb, xc, ref a0, ref b0, ref c0);
            Step(Vector512.Create(Unsafe.Add(ref wa, 1)), xa, xb, xc, ref a1, ref b1, ref c1);
            Step(Vector512.Create(Unsafe.Add(ref wa, 2)), xa, xb, xc, ref a2, ref b2, ref c2);
            Step(Vector512.Create(Unsafe.Add(ref wa, 3)), xa, xb, xc, ref a3, ref b3, ref c3);
            Step(Vector512.Create(wb), xa, xb, xc, ref a4, ref b4, ref c4);
            Step(Vector512.Create(Unsafe.Add(ref wb, 1)), xa, xb, xc, ref a5, ref b5, ref c5);
            Step(Vector512.Create(Unsafe.Add(ref wb, 2)), xa, xb, xc, ref a6, ref b6, ref c6);
            Step(Vector512.Create(Unsafe.Add(ref wb, 3)), xa, xb, xc, ref a7, ref b7, ref c7);
            wa = ref Unsafe.Add(ref wa, ConvGemm.Mr);
            wb = ref Unsafe.Add(ref wb, ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (ep.HasResidual)
        {
            Tile48Zmm.Residual3(ep, j, ref a0, ref b0, ref c0, ref y);
            Tile48Zmm.Residual3(ep, j + 1, ref a1, ref b1, ref c1, ref Unsafe.Add(ref y, p));
            Tile48Zmm.Residual3(ep, j + 2, ref a2, ref b2, ref c2, ref Unsafe.Add(ref y, 2 * p));
            Tile48Zmm.Residual3(ep, j + 3, ref a3, ref b3, ref c3, ref Unsafe.Add(ref y, 3 * p));
            Tile48Zmm.Residual3(ep, j + 4, ref a4, ref b4, ref c4, ref Unsafe.Add(ref y, 4 * p));
            Tile48Zmm.Residual3(ep, j + 5, ref a5, ref b5, ref c5, ref Unsafe.Add(ref y, 5 * p));
            Tile48Zmm.Residual3(ep, j + 6, ref a6, ref b6, ref c6, ref Unsafe.Add(ref y, 6 * p));
            Tile48Zmm.Residual3(ep, j + 7, ref a7, ref b7, ref c7, ref Unsafe.Add(ref y, 7 * p));
        }

        Store(ep, j, a0, b0, c0, ref y);
        Store(ep, j + 1, a1, b1, c1, ref Unsafe.Add(ref y, p));
        Store(ep, j + 2, a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
        Store(ep, j + 3, a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
        Store(ep, j + 4, a4, b4, c4, ref Unsafe.Add(ref y, 4 * p));
        Store(ep, j + 5, a5, b5, c5, ref Unsafe.Add(ref y, 5 * p));
        Store(ep, j + 6, a6, b6, c6, ref Unsafe.Add(ref y, 6 * p));
        Store(ep, j + 7, a7, b7, c7, ref Unsafe.Add(ref y, 7 * p));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector512<float> w, Vector512<float> xa, Vector512<float> xb, Vector512<float> xc, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c)
    {
        a = Vector512.FusedMultiplyAdd(w, xa, a);
        b = Vector512.FusedMultiplyAdd(w, xb, b);
        c = Vector512.FusedMultiplyAdd(w, xc, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in Epilogue ep, int j, Vector512<float> a, Vector512<float> b, Vector512<float> c, ref float y)
    {
        RowEpilogue row = ep.Row(j);
        row.Store(a, ref y);
        row.Store(b, ref y, 16);
        row.Store(c, ref y, 32);
    }
}
