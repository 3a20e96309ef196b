using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// 8 channels × 16 pixels with 512-bit vectors (two consecutive packed 4-channel blocks): the 16-pixel remainder after
/// <see cref="Tile8x48Zmm"/>'s 48-pixel tiles (im2col panels of 64 and 112 pixels leave 16). 8 accumulators are 8 FMA
/// chains, enough to cover FMA latency, and each output is one chain over k, as in every other conv tile, so a pixel
/// gets the same bits here as in a 256-bit tile.
/// </summary>
internal static class Tile8x16Zmm
{
    /// <summary>The tile; compiled optimised at its first call, as <see cref="Tile8x48Zmm.Run"/> is, and for the same reasons.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(ref float wa, ref float col, int k, int ldc, int p, ref float y, int j, in Epilogue ep)
    {
        ZmmEpilogue e = ep.Zmm(); // before the loop: see ZmmEpilogue.WithoutBias
        ref float wb = ref Unsafe.Add(ref wa, ConvGemm.Mr * k);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < k; i++)
        {
            Vector512<float> x = Vector512.LoadUnsafe(ref col);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(wa), x, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wa, 1)), x, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wa, 2)), x, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wa, 3)), x, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(wb), x, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wb, 1)), x, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wb, 2)), x, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref wb, 3)), x, a7);
            wa = ref Unsafe.Add(ref wa, ConvGemm.Mr);
            wb = ref Unsafe.Add(ref wb, ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (e.HasResidual)
        {
            if (!e.ResidualCovers(j, 8))
            {
                a0.StoreUnsafe(ref y);
                a1.StoreUnsafe(ref y, (nuint)p);
                a2.StoreUnsafe(ref y, (nuint)(2 * p));
                a3.StoreUnsafe(ref y, (nuint)(3 * p));
                a4.StoreUnsafe(ref y, (nuint)(4 * p));
                a5.StoreUnsafe(ref y, (nuint)(5 * p));
                a6.StoreUnsafe(ref y, (nuint)(6 * p));
                a7.StoreUnsafe(ref y, (nuint)(7 * p));
                e.Finish(j, 8, ref y, p, 16);
                return;
            }

            a0 = e.AddResidual(j, a0, ref y);
            a1 = e.AddResidual(j + 1, a1, ref y, (nuint)p);
            a2 = e.AddResidual(j + 2, a2, ref y, (nuint)(2 * p));
            a3 = e.AddResidual(j + 3, a3, ref y, (nuint)(3 * p));
            a4 = e.AddResidual(j + 4, a4, ref y, (nuint)(4 * p));
            a5 = e.AddResidual(j + 5, a5, ref y, (nuint)(5 * p));
            a6 = e.AddResidual(j + 6, a6, ref y, (nuint)(6 * p));
            a7 = e.AddResidual(j + 7, a7, ref y, (nuint)(7 * p));
            e = e.WithoutBias();
        }

        e.Store1(j, a0, ref y);
        e.Store1(j + 1, a1, ref Unsafe.Add(ref y, p));
        e.Store1(j + 2, a2, ref Unsafe.Add(ref y, 2 * p));
        e.Store1(j + 3, a3, ref Unsafe.Add(ref y, 3 * p));
        e.Store1(j + 4, a4, ref Unsafe.Add(ref y, 4 * p));
        e.Store1(j + 5, a5, ref Unsafe.Add(ref y, 5 * p));
        e.Store1(j + 6, a6, ref Unsafe.Add(ref y, 6 * p));
        e.Store1(j + 7, a7, ref Unsafe.Add(ref y, 7 * p));
    }
}
