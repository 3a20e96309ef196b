using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// One register tile of <see cref="ConvGemm.RunPacked"/>: <see cref="ConvGemm.Mr"/> channels × <see cref="Width"/>
/// pixels, with the packed weights at <c>w</c> and the tile's first pixel at <c>col</c>. The structs let
/// <c>Columns&lt;T&gt;</c> share one loop and still compile to direct, specialised calls.
/// </summary>
internal interface ITile
{
    static abstract int Width { get; }

    static abstract void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep);
}

internal readonly struct Tile24Ymm : ITile
{
    public static int Width => 24;

    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep) =>
        ConvGemm.Tile24(ref w, ref col, k, ldc, p, ref y, j, rows, ep);
}

/// <summary>
/// 4 × 16 with 256-bit vectors (8 accumulators, 8 FMA chains): the remainder after the 24-wide tiles. Two 8-wide
/// tiles would load every broadcast weight twice and keep half as many FMAs in flight per load.
/// </summary>
internal readonly struct Tile16Ymm : ITile
{
    public static int Width => 16;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        RunBody(ref w, ref col, k, ldc, p, ref y, j, rows, in ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        for (int i = 0; i < k; i++)
        {
            Vector256<float> xa = Vector256.LoadUnsafe(ref col);
            Vector256<float> xb = Vector256.LoadUnsafe(ref col, 8);
            Vector256<float> v = Vector256.Create(w);
            a0 = Simd.MulAdd(v, xa, a0);
            b0 = Simd.MulAdd(v, xb, b0);
            v = Vector256.Create(Unsafe.Add(ref w, 1));
            a1 = Simd.MulAdd(v, xa, a1);
            b1 = Simd.MulAdd(v, xb, b1);
            v = Vector256.Create(Unsafe.Add(ref w, 2));
            a2 = Simd.MulAdd(v, xa, a2);
            b2 = Simd.MulAdd(v, xb, b2);
            v = Vector256.Create(Unsafe.Add(ref w, 3));
            a3 = Simd.MulAdd(v, xa, a3);
            b3 = Simd.MulAdd(v, xb, b3);
            w = ref Unsafe.Add(ref w, ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (ep.HasResidual)
        {
            Residual2(ep, j, ref a0, ref b0, ref y);

            if (rows > 1)
            {
                Residual2(ep, j + 1, ref a1, ref b1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                Residual2(ep, j + 2, ref a2, ref b2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                Residual2(ep, j + 3, ref a3, ref b3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        Store(ep, j, a0, b0, ref y);
        if (rows > 1)
        {
            Store(ep, j + 1, a1, b1, ref Unsafe.Add(ref y, p));
        }

        if (rows > 2)
        {
            Store(ep, j + 2, a2, b2, ref Unsafe.Add(ref y, 2 * p));
        }

        if (rows > 3)
        {
            Store(ep, j + 3, a3, b3, ref Unsafe.Add(ref y, 3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Residual2(in Epilogue ep, int j, ref Vector256<float> a, ref Vector256<float> b, ref float y)
    {
        ep.AddResidual(j, ref a, ref y);
        ep.AddResidual(j, ref b, ref y, 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in Epilogue ep, int j, Vector256<float> a, Vector256<float> b, ref float y)
    {
        RowEpilogue row = ep.Row(j);
        row.Store(a, ref y);
        row.Store(b, ref y, 8);
    }
}

internal readonly struct Tile8Ymm : ITile
{
    public static int Width => 8;

    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep) =>
        ConvGemm.Tile8(ref w, ref col, k, ldc, p, ref y, j, rows, ep);
}

internal readonly struct Tile4Xmm : ITile
{
    public static int Width => 4;

    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep) =>
        ConvGemm.Tile4(ref w, ref col, k, ldc, p, ref y, j, rows, ep);
}

/// <summary>4 × 48 with 512-bit vectors: 12 accumulators + 3 pixel vectors + 1 broadcast of the 32 registers.</summary>
internal readonly struct Tile48Zmm : ITile
{
    public static int Width => 48;

    /// <remarks>Compiled optimised at its first call, as <see cref="Tile8x48Zmm.Run"/> is, and for the same reasons.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        ZmmEpilogue e = ep.Zmm(); // before the loop: see ZmmEpilogue.WithoutBias
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int i = 0; i < k; i++)
        {
            Vector512<float> xa = Vector512.LoadUnsafe(ref col);
            Vector512<float> xb = Vector512.LoadUnsafe(ref col, 16);
            Vector512<float> xc = Vector512.LoadUnsafe(ref col, 32);
            Vector512<float> v = Vector512.Create(w);
            a0 = Vector512.FusedMultiplyAdd(v, xa, a0);
            b0 = Vector512.FusedMultiplyAdd(v, xb, b0);
            c0 = Vector512.FusedMultiplyAdd(v, xc, c0);
            v = Vector512.Create(Unsafe.Add(ref w, 1));
            a1 = Vector512.FusedMultiplyAdd(v, xa, a1);
            b1 = Vector512.FusedMultiplyAdd(v, xb, b1);
            c1 = Vector512.FusedMultiplyAdd(v, xc, c1);
            v = Vector512.Create(Unsafe.Add(ref w, 2));
            a2 = Vector512.FusedMultiplyAdd(v, xa, a2);
            b2 = Vector512.FusedMultiplyAdd(v, xb, b2);
            c2 = Vector512.FusedMultiplyAdd(v, xc, c2);
            v = Vector512.Create(Unsafe.Add(ref w, 3));
            a3 = Vector512.FusedMultiplyAdd(v, xa, a3);
            b3 = Vector512.FusedMultiplyAdd(v, xb, b3);
            c3 = Vector512.FusedMultiplyAdd(v, xc, c3);
            w = ref Unsafe.Add(ref w, ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (e.HasResidual)
        {
            if (!e.ResidualCovers(j, rows))
            {
                // Only the tile's rows: past them lie another channel block's outputs, or the end of y.
                Tile8x48Zmm.StoreRaw(a0, b0, c0, ref y);
                Tile8x48Zmm.StoreRaw(a1, b1, c1, ref Unsafe.Add(ref y, p), rows > 1);
                Tile8x48Zmm.StoreRaw(a2, b2, c2, ref Unsafe.Add(ref y, 2 * p), rows > 2);
                Tile8x48Zmm.StoreRaw(a3, b3, c3, ref Unsafe.Add(ref y, 3 * p), rows > 3);
                e.Finish(j, rows, ref y, p, 48);
                return;
            }

            a0 = e.AddResidual(j, a0, ref y);
            b0 = e.AddResidual(j, b0, ref y, 16);
            c0 = e.AddResidual(j, c0, ref y, 32);
            if (rows > 1)
            {
                a1 = e.AddResidual(j + 1, a1, ref Unsafe.Add(ref y, p));
                b1 = e.AddResidual(j + 1, b1, ref Unsafe.Add(ref y, p), 16);
                c1 = e.AddResidual(j + 1, c1, ref Unsafe.Add(ref y, p), 32);
            }

            if (rows > 2)
            {
                a2 = e.AddResidual(j + 2, a2, ref Unsafe.Add(ref y, 2 * p));
                b2 = e.AddResidual(j + 2, b2, ref Unsafe.Add(ref y, 2 * p), 16);
                c2 = e.AddResidual(j + 2, c2, ref Unsafe.Add(ref y, 2 * p), 32);
            }

            if (rows > 3)
            {
                a3 = e.AddResidual(j + 3, a3, ref Unsafe.Add(ref y, 3 * p));
                b3 = e.AddResidual(j + 3, b3, ref Unsafe.Add(ref y, 3 * p), 16);
                c3 = e.AddResidual(j + 3, c3, ref Unsafe.Add(ref y, 3 * p), 32);
            }

            e = e.WithoutBias();
        }

        e.Store3(j, a0, b0, c0, ref y);
        if (rows > 1)
        {
            e.Store3(j + 1, a1, b1, c1, ref Unsafe.Add(ref y, p));
        }

        if (rows > 2)
        {
            e.Store3(j + 2, a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
        }

        if (rows > 3)
        {
            e.Store3(j + 3, a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
        }
    }
}
