using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

internal static partial class DepthwiseConv
{
    /// <summary>Whether <see cref="Direct5x5"/> may run at all (a switch for the benchmarks' A/B).</summary>
    internal static bool Direct5x5Enabled { get; set; } = true;

    /// <summary>
    /// AVX2 5×5 kernels with row stride 1 or 2, column stride 1, no dilation, at least 8 outputs per row and 4 output
    /// rows (PP-OCRv4's and BlazeFace's 5×5 depthwise layers): <see cref="Direct5x5"/>.
    /// </summary>
    private static bool Direct5x5Applies(SimdLevel level, in Conv2DShape s)
        => Direct5x5Enabled && level == SimdLevel.Vector256 && s.KH == 5 && s.KW == 5 && s.DH == 1 && s.DW == 1 && (s.SH == 1 || s.SH == 2) && s.SW == 1
            && s.OW >= 8 && s.OH >= 4;

    /// <summary>
    /// One channel of a 5×5 depthwise conv with row stride 1 or 2 and column stride 1 from the prepared plane (rows of
    /// L = OW + 4 floats, the padding already in it; with row stride 2 split into even and odd input rows) straight
    /// into y (NCHW, OH × OW), AVX2. A block is 16 output columns of 4 output rows (8
    /// accumulators). Per kernel column kw the block broadcasts that column's 5 taps once, then each of the 8 input
    /// rows the 4 output rows read is loaded once per 8 columns and multiplied into every output row whose window
    /// covers it: 26 loads per 40 FMAs (row stride 2: 6 even and 5 odd rows, 21 loads per 40 FMAs), where <see cref="Accumulate"/> loaded each input once per tap and broadcast
    /// every tap per use (1.5 loads per FMA; PP-OCRv4's recogniser's 240 × 12 × 80 layer ran at 40 % of the FMA rate).
    /// The last column block is shifted back to end at OW (8-wide when OW &lt; 16) and the last row group to end at OH:
    /// recomputed outputs get the same bits, since every output sums its 25 products in the same order (kernel column
    /// by kernel column; within one, kernel rows top to bottom, or with row stride 2 the even ones then the odd ones)
    /// whichever block computes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Direct5x5(ReadOnlySpan<float> plane, Span<float> y, ReadOnlySpan<float> t, float bias, in Conv2DShape s, in Geometry g, bool relu)
    {
        Direct5x5Body(plane, y, t, bias, in s, in g, relu);
    }

    // Direct5x5's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Direct5x5Body(ReadOnlySpan<float> plane, Span<float> y, ReadOnlySpan<float> t, float bias, in Conv2DShape s, in Geometry g, bool relu)
    {
        int len = g.Len, ow = s.OW, oh = s.OH;
        bool stride2 = s.SH == 2;
        int odd = g.Rows * len; // row stride 2: the odd input rows' phase, after the even ones
        int width = ow >= 16 ? 16 : 8, lastColumn = ow - width, lastRow = oh - 4;
        ref float pl = ref MemoryMarshal.GetReference(plane);
        ref float yo = ref MemoryMarshal.GetReference(y);
        ref float tp = ref MemoryMarshal.GetReference(t);
        Vector256<float> b = Vector256.Create(bias);
        for (int q = 0; ; q = Math.Min(q + 4, lastRow))
        {
            for (int c = 0; ; c = Math.Min(c + width, lastColumn))
            {
                Vector256<float> a0 = b, a1 = b, a2 = b, a3 = b, b0 = b, b1 = b, b2 = b, b3 = b;
                ref float p0 = ref Unsafe.Add(ref pl, (q * len) + c);
                for (int kw = 0; kw < 5; kw++)
                {
                    Vector256<float> t0 = Vector256.Create(Unsafe.Add(ref tp, kw)), t1 = Vector256.Create(Unsafe.Add(ref tp, 5 + kw));
                    Vector256<float> t2 = Vector256.Create(Unsafe.Add(ref tp, 10 + kw)), t3 = Vector256.Create(Unsafe.Add(ref tp, 15 + kw));
                    Vector256<float> t4 = Vector256.Create(Unsafe.Add(ref tp, 20 + kw));
                    ref float pk = ref Unsafe.Add(ref p0, kw);
                    if (stride2)
                    {
                        Column5Stride2(ref pk, odd, len, t0, t1, t2, t3, t4, ref a0, ref a1, ref a2, ref a3);
                        if (width == 16)
                        {
                            Column5Stride2(ref Unsafe.Add(ref pk, 8), odd, len, t0, t1, t2, t3, t4, ref b0, ref b1, ref b2, ref b3);
                        }
                    }
                    else
                    {
                        Column5(ref pk, len, t0, t1, t2, t3, t4, ref a0, ref a1, ref a2, ref a3);
                        if (width == 16)
                        {
                            Column5(ref Unsafe.Add(ref pk, 8), len, t0, t1, t2, t3, t4, ref b0, ref b1, ref b2, ref b3);
                        }
                    }
                }

                Store4(ref Unsafe.Add(ref yo, (q * ow) + c), ow, a0, a1, a2, a3, relu);
                if (width == 16)
                {
                    Store4(ref Unsafe.Add(ref yo, (q * ow) + c + 8), ow, b0, b1, b2, b3, relu);
                }

                if (c == lastColumn)
                {
                    break;
                }
            }

            if (q == lastRow)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Kernel column kw of 4 output rows × 8 columns: input row i (0–7, at <paramref name="p"/> + i·L) is loaded once and
    /// multiplied by tap row kh into output row i − kh, for the rows 0–3 that exist.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column5(
        ref float p, int len, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3, Vector256<float> t4,
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3)
    {
        Vector256<float> x = Vector256.LoadUnsafe(ref p);
        r0 = Simd.MulAdd(t0, x, r0);
        x = Vector256.LoadUnsafe(ref p, (nuint)len);
        r0 = Simd.MulAdd(t1, x, r0);
        r1 = Simd.MulAdd(t0, x, r1);
        x = Vector256.LoadUnsafe(ref p, (nuint)(2 * len));
        r0 = Simd.MulAdd(t2, x, r0);
        r1 = Simd.MulAdd(t1, x, r1);
        r2 = Simd.MulAdd(t0, x, r2);
        x = Vector256.LoadUnsafe(ref p, (nuint)(3 * len));
        r0 = Simd.MulAdd(t3, x, r0);
        r1 = Simd.MulAdd(t2, x, r1);
        r2 = Simd.MulAdd(t1, x, r2);
        r3 = Simd.MulAdd(t0, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(4 * len));
        r0 = Simd.MulAdd(t4, x, r0);
        r1 = Simd.MulAdd(t3, x, r1);
        r2 = Simd.MulAdd(t2, x, r2);
        r3 = Simd.MulAdd(t1, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(5 * len));
        r1 = Simd.MulAdd(t4, x, r1);
        r2 = Simd.MulAdd(t3, x, r2);
        r3 = Simd.MulAdd(t2, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(6 * len));
        r2 = Simd.MulAdd(t4, x, r2);
        r3 = Simd.MulAdd(t3, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(7 * len));
        r3 = Simd.MulAdd(t4, x, r3);
    }

    /// <summary>
    /// <see cref="Column5"/> with row stride 2: output row r reads even prepared row r + kh/2 for kh = 0, 2, 4 and odd
    /// row r + (kh − 1)/2 (<paramref name="odd"/> floats on) for kh = 1, 3, so 6 even and 5 odd rows serve 4 output rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column5Stride2(
        ref float p, int odd, int len, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3, Vector256<float> t4,
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3)
    {
        Vector256<float> x = Vector256.LoadUnsafe(ref p);
        r0 = Simd.MulAdd(t0, x, r0);
        x = Vector256.LoadUnsafe(ref p, (nuint)len);
        r0 = Simd.MulAdd(t2, x, r0);
        r1 = Simd.MulAdd(t0, x, r1);
        x = Vector256.LoadUnsafe(ref p, (nuint)(2 * len));
        r0 = Simd.MulAdd(t4, x, r0);
        r1 = Simd.MulAdd(t2, x, r1);
        r2 = Simd.MulAdd(t0, x, r2);
        x = Vector256.LoadUnsafe(ref p, (nuint)(3 * len));
        r1 = Simd.MulAdd(t4, x, r1);
        r2 = Simd.MulAdd(t2, x, r2);
        r3 = Simd.MulAdd(t0, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(4 * len));
        r2 = Simd.MulAdd(t4, x, r2);
        r3 = Simd.MulAdd(t2, x, r3);
        x = Vector256.LoadUnsafe(ref p, (nuint)(5 * len));
        r3 = Simd.MulAdd(t4, x, r3);
        ref float q = ref Unsafe.Add(ref p, odd);
        x = Vector256.LoadUnsafe(ref q);
        r0 = Simd.MulAdd(t1, x, r0);
        x = Vector256.LoadUnsafe(ref q, (nuint)len);
        r0 = Simd.MulAdd(t3, x, r0);
        r1 = Simd.MulAdd(t1, x, r1);
        x = Vector256.LoadUnsafe(ref q, (nuint)(2 * len));
        r1 = Simd.MulAdd(t3, x, r1);
        r2 = Simd.MulAdd(t1, x, r2);
        x = Vector256.LoadUnsafe(ref q, (nuint)(3 * len));
        r2 = Simd.MulAdd(t3, x, r2);
        r3 = Simd.MulAdd(t1, x, r3);
        x = Vector256.LoadUnsafe(ref q, (nuint)(4 * len));
        r3 = Simd.MulAdd(t3, x, r3);
    }

    /// <summary>Four output rows of 8 (rows <paramref name="ow"/> apart), Relu first if asked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float y, int ow, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3, bool relu)
    {
        if (relu)
        {
            ReluOperator op = default;
            (r0, r1, r2, r3) = (op.Invoke(r0), op.Invoke(r1), op.Invoke(r2), op.Invoke(r3));
        }

        r0.StoreUnsafe(ref y);
        r1.StoreUnsafe(ref y, (nuint)ow);
        r2.StoreUnsafe(ref y, (nuint)(2 * ow));
        r3.StoreUnsafe(ref y, (nuint)(3 * ow));
    }
}
