using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <paramref name="outer"/> row-major <c>[rows, cols]</c> matrices, each written as <c>[cols, rows]</c>:
    /// <c>y[o][c][r] = x[o][r][c]</c>. On AVX2, 3 columns (NHWC → NCHW of RGB images) are split 8 pixels at a time by
    /// blends and one vpermps per channel, and ≥ 8 × 8 matrices go through 8 × 8 register transposes; a last partial
    /// block is shifted back to end at the edge (its overlap is rewritten with the same values). Otherwise scalar.
    /// Why: the odometer's strided scalar gather ran NHWC → NCHW at batch 64 at twice ONNX Runtime's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Transpose2D(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, long outer, int rows, int cols)
    {
        Transpose2DBody(level, x, y, outer, rows, cols);
    }

    // Transpose2D's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose2DBody(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, long outer, int rows, int cols)
    {
        long block = (long)rows * cols;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        bool avx = level == SimdLevel.Vector256 && Avx2.IsSupported;
        for (long o = 0; o < outer; o++)
        {
            ref float xs = ref Unsafe.Add(ref x0, (nint)(o * block));
            ref float ys = ref Unsafe.Add(ref y0, (nint)(o * block));
            if (avx && cols == 3 && rows >= 8)
            {
                SplitThree(ref xs, ref ys, rows);
            }
            else if (avx && cols >= 8 && rows >= 8)
            {
                Blocks8x8(ref xs, ref ys, rows, cols);
            }
            else
            {
                for (int c = 0; c < cols; c++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        Unsafe.Add(ref ys, ((nint)c * rows) + r) = Unsafe.Add(ref xs, ((nint)r * cols) + c);
                    }
                }
            }
        }
    }

    /// <summary>[rows, 3] → [3, rows], rows ≥ 8: 24 floats (8 pixels) per step, 2 blends + 1 vpermps per channel.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SplitThree(ref float x, ref float y, int rows)
    {
        SplitThreeBody(ref x, ref y, rows);
    }

    // SplitThree's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitThreeBody(ref float x, ref float y, int rows)
    {
        // Element i of the 24 is channel i % 3 of pixel i / 3. Blending a, b, c so that lane j takes the register that holds
        // channel k in lane j gives channel k's 8 pixels in the order below; vpermps puts pixel p in lane p.
        Vector256<int> order0 = Vector256.Create(0, 3, 6, 1, 4, 7, 2, 5);
        Vector256<int> order1 = Vector256.Create(1, 4, 7, 2, 5, 0, 3, 6);
        Vector256<int> order2 = Vector256.Create(2, 5, 0, 3, 6, 1, 4, 7);
        ref float y1 = ref Unsafe.Add(ref y, rows);
        ref float y2 = ref Unsafe.Add(ref y, 2 * rows);
        int last = rows - 8;
        for (int r = 0; ; r = Math.Min(r + 8, last))
        {
            ref float at = ref Unsafe.Add(ref x, 3 * r);
            Vector256<float> a = Vector256.LoadUnsafe(ref at), b = Vector256.LoadUnsafe(ref at, 8), c = Vector256.LoadUnsafe(ref at, 16);

            // Blend bit j set = take the second operand in lane j: lanes {1,4,7} = 0x92, {2,5} = 0x24, {0,3,6} = 0x49.
            Vector256<float> k0 = Avx.Blend(Avx.Blend(a, b, 0x92), c, 0x24);
            Vector256<float> k1 = Avx.Blend(Avx.Blend(a, b, 0x24), c, 0x49);
            Vector256<float> k2 = Avx.Blend(Avx.Blend(a, b, 0x49), c, 0x92);
            Avx2.PermuteVar8x32(k0, order0).StoreUnsafe(ref y, (nuint)r);
            Avx2.PermuteVar8x32(k1, order1).StoreUnsafe(ref y1, (nuint)r);
            Avx2.PermuteVar8x32(k2, order2).StoreUnsafe(ref y2, (nuint)r);
            if (r == last)
            {
                break;
            }
        }
    }

    /// <summary>[rows, cols] → [cols, rows] by 8 × 8 register transposes (unpack, shuffle, 128-bit lane swap), rows, cols ≥ 8.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Blocks8x8(ref float x, ref float y, int rows, int cols)
    {
        Blocks8x8Body(ref x, ref y, rows, cols);
    }

    // Blocks8x8's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocks8x8Body(ref float x, ref float y, int rows, int cols)
    {
        int lastR = rows - 8, lastC = cols - 8;
        for (int r = 0; ; r = Math.Min(r + 8, lastR))
        {
            for (int c = 0; ; c = Math.Min(c + 8, lastC))
            {
                ref float s = ref Unsafe.Add(ref x, ((nint)r * cols) + c);
                Vector256<float> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)cols);
                Vector256<float> r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * cols)), r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * cols));
                Vector256<float> r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * cols)), r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * cols));
                Vector256<float> r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * cols)), r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * cols));
                Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
                ref float d = ref Unsafe.Add(ref y, ((nint)c * rows) + r);
                Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
                Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref d, (nuint)rows);
                Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref d, (nuint)(2 * rows));
                Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref d, (nuint)(3 * rows));
                Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref d, (nuint)(4 * rows));
                Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref d, (nuint)(5 * rows));
                Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref d, (nuint)(6 * rows));
                Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref d, (nuint)(7 * rows));
                if (c == lastC)
                {
                    break;
                }
            }

            if (r == lastR)
            {
                break;
            }
        }
    }
}
