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

    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
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

    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
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

        if (ep.HasResidual)
        {
            Residual3(ep, j, ref a0, ref b0, ref c0, ref y);

            if (rows > 1)
            {
                Residual3(ep, j + 1, ref a1, ref b1, ref c1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                Residual3(ep, j + 2, ref a2, ref b2, ref c2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                Residual3(ep, j + 3, ref a3, ref b3, ref c3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        Store(ep, j, a0, b0, c0, ref y);
        if (rows > 1)
        {
            Store(ep, j + 1, a1, b1, c1, ref Unsafe.Add(ref y, p));
        }

        if (rows > 2)
        {
            Store(ep, j + 2, a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
        }

        if (rows > 3)
        {
            Store(ep, j + 3, a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Residual3(in Epilogue ep, int j, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref float y)
    {
        ep.AddResidual(j, ref a, ref y);
        ep.AddResidual(j, ref b, ref y, 16);
        ep.AddResidual(j, ref c, ref y, 32);
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

/// <summary>4 × 16 with 512-bit vectors, even and odd k in separate accumulators (8 FMA chains).</summary>
internal readonly struct Tile16Zmm : ITile
{
    public static int Width => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int i = 0;
        for (; i <= k - 2; i += 2)
        {
            Vector512<float> x = Vector512.LoadUnsafe(ref col);
            Vector512<float> x2 = Vector512.LoadUnsafe(ref col, (nuint)ldc);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w), x, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 1)), x, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 2)), x, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 3)), x, a3);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 4)), x2, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 5)), x2, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 6)), x2, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 7)), x2, b3);
            w = ref Unsafe.Add(ref w, 2 * ConvGemm.Mr);
            col = ref Unsafe.Add(ref col, 2 * ldc);
        }

        if (i < k)
        {
            Vector512<float> x = Vector512.LoadUnsafe(ref col);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w), x, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 1)), x, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 2)), x, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, 3)), x, a3);
        }

        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;
        if (ep.HasResidual)
        {
            Residual1(ep, j, ref a0, ref y);

            if (rows > 1)
            {
                Residual1(ep, j + 1, ref a1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                Residual1(ep, j + 2, ref a2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                Residual1(ep, j + 3, ref a3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        ep.Store(j, a0, ref y);
        if (rows > 1)
        {
            ep.Store(j + 1, a1, ref y, (nuint)p);
        }

        if (rows > 2)
        {
            ep.Store(j + 2, a2, ref y, (nuint)(2 * p));
        }

        if (rows > 3)
        {
            ep.Store(j + 3, a3, ref y, (nuint)(3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Residual1(in Epilogue ep, int j, ref Vector512<float> a, ref float y) => ep.AddResidual(j, ref a, ref y);
}
