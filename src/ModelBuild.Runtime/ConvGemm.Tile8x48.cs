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
    /// <summary>
    /// The tile. Compiled optimised at its first call (4–5 ms of JIT) instead of running as tier-0 code: it has no
    /// ReadyToRun code on AVX-512 processors, and its tier-0 code ran about 8× slower (ppocr_rec's first prediction spent
    /// 120 ms in it). Not inlined: inlined, its 512-bit body kept ReadyToRun from precompiling the caller (ConvGemm.RunPacked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(ref float wa, ref float col, int k, int ldc, int p, ref float y, int j, in Epilogue ep)
    {
        ZmmEpilogue e = ep.Zmm(); // before the loop: see ZmmEpilogue.WithoutBias
        ref float wb = ref Unsafe.Add(ref wa, ConvGemm.Mr * k);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int i = 0; i < k; i++)
        {
            Vector512<float> xa = Vector512.LoadUnsafe(ref col);
            Vector512<float> xb = Vector512.LoadUnsafe(ref col, 16);
            Vector512<float> xc = Vector512.LoadUnsafe(ref col, 32);
            Vector512<float> w = Vector512.Create(wa);
            a0 = Vector512.FusedMultiplyAdd(w, xa, a0);
            b0 = Vector512.FusedMultiplyAdd(w, xb, b0);
            c0 = Vector512.FusedMultiplyAdd(w, xc, c0);
            w = Vector512.Create(Unsafe.Add(ref wa, 1));
            a1 = Vector512.FusedMultiplyAdd(w, xa, a1);
            b1 = Vector512.FusedMultiplyAdd(w, xb, b1);
            c1 = Vector512.FusedMultiplyAdd(w, xc, c1);
            w = Vector512.Create(Unsafe.Add(ref wa, 2));
            a2 = Vector512.FusedMultiplyAdd(w, xa, a2);
            b2 = Vector512.FusedMultiplyAdd(w, xb, b2);
            c2 = Vector512.FusedMultiplyAdd(w, xc, c2);
            w = Vector512.Create(Unsafe.Add(ref wa, 3));
            a3 = Vector512.FusedMultiplyAdd(w, xa, a3);
            b3 = Vector512.FusedMultiplyAdd(w, xb, b3);
            c3 = Vector512.FusedMultiplyAdd(w, xc, c3);
            w = Vector512.Create(wb);
            a4 = Vector512.FusedMultiplyAdd(w, xa, a4);
            b4 = Vector512.FusedMultiplyAdd(w, xb, b4);
            c4 = Vector512.FusedMultiplyAdd(w, xc, c4);
            w = Vector512.Create(Unsafe.Add(ref wb, 1));
            a5 = Vector512.FusedMultiplyAdd(w, xa, a5);
            b5 = Vector512.FusedMultiplyAdd(w, xb, b5);
            c5 = Vector512.FusedMultiplyAdd(w, xc, c5);
            w = Vector512.Create(Unsafe.Add(ref wb, 2));
            a6 = Vector512.FusedMultiplyAdd(w, xa, a6);
            b6 = Vector512.FusedMultiplyAdd(w, xb, b6);
            c6 = Vector512.FusedMultiplyAdd(w, xc, c6);
            w = Vector512.Create(Unsafe.Add(ref wb, 3));
            a7 = Vector512.FusedMultiplyAdd(w, xa, a7);
            b7 = Vector512.FusedMultiplyAdd(w, xb, b7);
            c7 = Vector512.FusedMultiplyAdd(w, xc, c7);
            wa = ref Unsafe.Add(ref wa, ConvGemm.Mr);
            wb = ref Unsafe.Add(ref wb, ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (e.HasResidual)
        {
            if (!e.ResidualCovers(j, 8))
            {
                StoreRaw(a0, b0, c0, ref y);
                StoreRaw(a1, b1, c1, ref Unsafe.Add(ref y, p));
                StoreRaw(a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
                StoreRaw(a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
                StoreRaw(a4, b4, c4, ref Unsafe.Add(ref y, 4 * p));
                StoreRaw(a5, b5, c5, ref Unsafe.Add(ref y, 5 * p));
                StoreRaw(a6, b6, c6, ref Unsafe.Add(ref y, 6 * p));
                StoreRaw(a7, b7, c7, ref Unsafe.Add(ref y, 7 * p));
                e.Finish(j, 8, ref y, p, 48);
                return;
            }

            a0 = e.AddResidual(j, a0, ref y);
            b0 = e.AddResidual(j, b0, ref y, 16);
            c0 = e.AddResidual(j, c0, ref y, 32);
            a1 = e.AddResidual(j + 1, a1, ref Unsafe.Add(ref y, p));
            b1 = e.AddResidual(j + 1, b1, ref Unsafe.Add(ref y, p), 16);
            c1 = e.AddResidual(j + 1, c1, ref Unsafe.Add(ref y, p), 32);
            a2 = e.AddResidual(j + 2, a2, ref Unsafe.Add(ref y, 2 * p));
            b2 = e.AddResidual(j + 2, b2, ref Unsafe.Add(ref y, 2 * p), 16);
            c2 = e.AddResidual(j + 2, c2, ref Unsafe.Add(ref y, 2 * p), 32);
            a3 = e.AddResidual(j + 3, a3, ref Unsafe.Add(ref y, 3 * p));
            b3 = e.AddResidual(j + 3, b3, ref Unsafe.Add(ref y, 3 * p), 16);
            c3 = e.AddResidual(j + 3, c3, ref Unsafe.Add(ref y, 3 * p), 32);
            a4 = e.AddResidual(j + 4, a4, ref Unsafe.Add(ref y, 4 * p));
            b4 = e.AddResidual(j + 4, b4, ref Unsafe.Add(ref y, 4 * p), 16);
            c4 = e.AddResidual(j + 4, c4, ref Unsafe.Add(ref y, 4 * p), 32);
            a5 = e.AddResidual(j + 5, a5, ref Unsafe.Add(ref y, 5 * p));
            b5 = e.AddResidual(j + 5, b5, ref Unsafe.Add(ref y, 5 * p), 16);
            c5 = e.AddResidual(j + 5, c5, ref Unsafe.Add(ref y, 5 * p), 32);
            a6 = e.AddResidual(j + 6, a6, ref Unsafe.Add(ref y, 6 * p));
            b6 = e.AddResidual(j + 6, b6, ref Unsafe.Add(ref y, 6 * p), 16);
            c6 = e.AddResidual(j + 6, c6, ref Unsafe.Add(ref y, 6 * p), 32);
            a7 = e.AddResidual(j + 7, a7, ref Unsafe.Add(ref y, 7 * p));
            b7 = e.AddResidual(j + 7, b7, ref Unsafe.Add(ref y, 7 * p), 16);
            c7 = e.AddResidual(j + 7, c7, ref Unsafe.Add(ref y, 7 * p), 32);
            e = e.WithoutBias();
        }

        e.Store3(j, a0, b0, c0, ref y);
        e.Store3(j + 1, a1, b1, c1, ref Unsafe.Add(ref y, p));
        e.Store3(j + 2, a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
        e.Store3(j + 3, a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
        e.Store3(j + 4, a4, b4, c4, ref Unsafe.Add(ref y, 4 * p));
        e.Store3(j + 5, a5, b5, c5, ref Unsafe.Add(ref y, 5 * p));
        e.Store3(j + 6, a6, b6, c6, ref Unsafe.Add(ref y, 6 * p));
        e.Store3(j + 7, a7, b7, c7, ref Unsafe.Add(ref y, 7 * p));
    }

    /// <summary>Stores 48 sums as they are, if <paramref name="store"/> (for <see cref="ZmmEpilogue.Finish"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRaw(Vector512<float> a, Vector512<float> b, Vector512<float> c, ref float y, bool store = true)
    {
        if (store)
        {
            a.StoreUnsafe(ref y);
            b.StoreUnsafe(ref y, 16);
            c.StoreUnsafe(ref y, 32);
        }
    }
}
