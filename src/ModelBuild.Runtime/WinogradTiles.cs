using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// One Winograd minimal-filtering algorithm F(m×m, 3×3) (Lavin &amp; Gray, "Fast Algorithms for Convolutional Neural
/// Networks", 2015): its input transform Bᵀ, output transform Aᵀ and filter transform G. Each 1-D transform maps α = m + 2
/// vectors to α (Bᵀ) or m (Aᵀ) vectors, one lane per channel, so <see cref="BlockedWinograd"/> applies it to 8 (or 4)
/// channels at once.
/// </summary>
internal interface IWinogradTile
{
    /// <summary>Outputs per tile side (m).</summary>
    static abstract int M { get; }

    /// <summary>Inputs per tile side (α = m + 2); α² GEMMs.</summary>
    static abstract int Alpha { get; }

    /// <summary>G (α × 3, row-major), used in float64 for the weights.</summary>
    static abstract ReadOnlySpan<double> G { get; }

    // Bᵀ and Aᵀ are not members here: crossgen2 cannot precompile a caller of a *generic* static virtual method, so the
    // blocked Winograd transforms were JIT-compiled in each process's first prediction (cold start, issue 12).
    // WinogradTransforms picks the tile's implementation by type instead.
}

/// <summary>F(2×2, 3×3): 16 GEMMs per 4 outputs, transforms with coefficients ±1 and ½ (exact in float32 but for G).</summary>
internal readonly struct WinogradF2 : IWinogradTile
{
    public static int M => 2;

    public static int Alpha => 4;

    public static ReadOnlySpan<double> G => [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BT<TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        TV z0 = TW.Load(ref src, 0), z1 = TW.Load(ref src, srcStride), z2 = TW.Load(ref src, 2 * srcStride), z3 = TW.Load(ref src, 3 * srcStride);
        TW.Store(TW.Subtract(z0, z2), ref dst, 0);
        TW.Store(TW.Add(z1, z2), ref dst, dstStride);
        TW.Store(TW.Subtract(z2, z1), ref dst, 2 * dstStride);
        TW.Store(TW.Subtract(z1, z3), ref dst, 3 * dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AT<TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        TV z0 = TW.Load(ref src, 0), z1 = TW.Load(ref src, srcStride), z2 = TW.Load(ref src, 2 * srcStride), z3 = TW.Load(ref src, 3 * srcStride);
        TW.Store(TW.Add(TW.Add(z0, z1), z2), ref dst, 0);
        TW.Store(TW.Subtract(TW.Subtract(z1, z2), z3), ref dst, dstStride);
    }
}

/// <summary>F(4×4, 3×3): 36 GEMMs per 16 outputs; coefficients up to 5 (Bᵀ), 8 (Aᵀ) and 1/24 (G), the matrices of <see cref="WinogradConv"/>.</summary>
internal readonly struct WinogradF4 : IWinogradTile
{
    public static int M => 4;

    public static int Alpha => 6;

    public static ReadOnlySpan<double> G => [0.25, 0, 0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 24.0, -1 / 12.0, 1 / 6.0, 0, 0, 1];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BT<TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        TV z0 = TW.Load(ref src, 0), z1 = TW.Load(ref src, srcStride), z2 = TW.Load(ref src, 2 * srcStride);
        TV z3 = TW.Load(ref src, 3 * srcStride), z4 = TW.Load(ref src, 4 * srcStride), z5 = TW.Load(ref src, 5 * srcStride);
        TV four = TW.Broadcast(4f), five = TW.Broadcast(5f), two = TW.Broadcast(2f);
        TV z4MinusZ2 = TW.Subtract(z4, z2), twoZ3MinusZ1 = TW.Multiply(two, TW.Subtract(z3, z1));
        TW.Store(TW.Add(TW.Subtract(TW.Multiply(four, z0), TW.Multiply(five, z2)), z4), ref dst, 0);
        TW.Store(TW.Subtract(TW.Add(z4, z3), TW.Multiply(four, TW.Add(z1, z2))), ref dst, dstStride);
        TW.Store(TW.Add(TW.Subtract(z4, z3), TW.Multiply(four, TW.Subtract(z1, z2))), ref dst, 2 * dstStride);
        TW.Store(TW.Add(z4MinusZ2, twoZ3MinusZ1), ref dst, 3 * dstStride);
        TW.Store(TW.Subtract(z4MinusZ2, twoZ3MinusZ1), ref dst, 4 * dstStride);
        TW.Store(TW.Add(TW.Subtract(TW.Multiply(four, z1), TW.Multiply(five, z3)), z5), ref dst, 5 * dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AT<TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        TV z0 = TW.Load(ref src, 0), z1 = TW.Load(ref src, srcStride), z2 = TW.Load(ref src, 2 * srcStride);
        TV z3 = TW.Load(ref src, 3 * srcStride), z4 = TW.Load(ref src, 4 * srcStride), z5 = TW.Load(ref src, 5 * srcStride);
        TV s12 = TW.Add(z1, z2), d12 = TW.Subtract(z1, z2), s34 = TW.Add(z3, z4), d34 = TW.Subtract(z3, z4);
        TW.Store(TW.Add(TW.Add(z0, s12), s34), ref dst, 0);
        TW.Store(TW.Add(d12, TW.Multiply(TW.Broadcast(2f), d34)), ref dst, dstStride);
        TW.Store(TW.Add(s12, TW.Multiply(TW.Broadcast(4f), s34)), ref dst, 2 * dstStride);
        TW.Store(TW.Add(TW.Add(d12, TW.Multiply(TW.Broadcast(8f), d34)), z5), ref dst, 3 * dstStride);
    }
}

/// <summary>The 1-D transforms of a tile type TF (a JIT-time constant choice of implementation).</summary>
internal static class WinogradTransforms
{
    /// <summary>Bᵀ applied to the α vectors at <c>src + i·srcStride</c>, output a to <c>dst + a·dstStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BT<TF, TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        if (typeof(TF) == typeof(WinogradF2))
        {
            WinogradF2.BT<TV, TW>(ref src, srcStride, ref dst, dstStride);
        }
        else
        {
            WinogradF4.BT<TV, TW>(ref src, srcStride, ref dst, dstStride);
        }
    }

    /// <summary>Aᵀ applied to the α vectors at <c>src + i·srcStride</c>, output j to <c>dst + j·dstStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AT<TF, TV, TW>(ref float src, nint srcStride, ref float dst, nint dstStride)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        if (typeof(TF) == typeof(WinogradF2))
        {
            WinogradF2.AT<TV, TW>(ref src, srcStride, ref dst, dstStride);
        }
        else
        {
            WinogradF4.AT<TV, TW>(ref src, srcStride, ref dst, dstStride);
        }
    }
}
