using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>
    /// One image in the channel-blocked padded layout <c>stage[cb][r][col][lane]</c> = x[cb·L + lane, r − PadTop,
    /// col − PadLeft], zero outside the input and for channels ≥ C; L channels per vector, so every tile position of
    /// every block is one whole-vector load. Rows of L pixels are turned around by L×L register transposes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Stage<TV, TW>(ReadOnlySpan<float> xn, Span<float> stage, in Conv2DShape s, in Plan plan)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        StageBody<TV, TW>(xn, stage, in s, in plan);
    }

    // Stage's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageBody<TV, TW>(ReadOnlySpan<float> xn, Span<float> stage, in Conv2DShape s, in Plan plan)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count, rowFloats = plan.Wp * lanes, hw = s.H * s.W;
        ref float xr = ref MemoryMarshal.GetReference(xn);
        ref float st = ref MemoryMarshal.GetReference(stage);
        Span<float> zero = stackalloc float[8];
        for (int cb = 0; cb < plan.Blocks; cb++)
        {
            int channels = Math.Min(lanes, s.C - (cb * lanes));
            for (int r = 0; r < plan.Hp; r++)
            {
                ref float row = ref Unsafe.Add(ref st, (((nint)cb * plan.Hp) + r) * rowFloats);
                int ih = r - s.PadTop;
                if ((uint)ih >= (uint)s.H)
                {
                    Simd.Fill(MemoryMarshal.CreateSpan(ref row, rowFloats), 0);
                    continue;
                }

                Simd.Fill(MemoryMarshal.CreateSpan(ref row, s.PadLeft * lanes), 0);
                Simd.Fill(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref row, (s.PadLeft + s.W) * lanes), rowFloats - ((s.PadLeft + s.W) * lanes)), 0);
                ref float src = ref Unsafe.Add(ref xr, ((nint)cb * lanes * hw) + (ih * s.W));
                ref float dst = ref Unsafe.Add(ref row, s.PadLeft * lanes);
                if (s.W < lanes)
                {
                    for (int j = 0; j < s.W; j++)
                    {
                        for (int l = 0; l < lanes; l++)
                        {
                            Unsafe.Add(ref dst, (j * lanes) + l) = l < channels ? Unsafe.Add(ref src, ((nint)l * hw) + j) : 0;
                        }
                    }

                    continue;
                }

                // L channels × L pixels at a time; the last group is shifted left to end at the row's end (it rewrites
                // a few pixels with the same values).
                for (int w0 = 0; ; w0 += lanes)
                {
                    int w = Math.Min(w0, s.W - lanes);
                    TransposeIn<TV, TW>(ref Unsafe.Add(ref src, w), hw, channels, ref Unsafe.Add(ref dst, w * lanes), ref MemoryMarshal.GetReference(zero));
                    if (w0 + lanes >= s.W)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Loads L rows (channels, <paramref name="stride"/> apart; rows ≥ <paramref name="channels"/> read as zero), transposes them, and stores L vectors (one per pixel) at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeIn<TV, TW>(ref float src, int stride, int channels, ref float dst, ref float zero)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        if (typeof(TV) == typeof(Vector256<float>))
        {
            Vector256<float> r0 = Row8(ref src, stride, 0, channels, ref zero), r1 = Row8(ref src, stride, 1, channels, ref zero);
            Vector256<float> r2 = Row8(ref src, stride, 2, channels, ref zero), r3 = Row8(ref src, stride, 3, channels, ref zero);
            Vector256<float> r4 = Row8(ref src, stride, 4, channels, ref zero), r5 = Row8(ref src, stride, 5, channels, ref zero);
            Vector256<float> r6 = Row8(ref src, stride, 6, channels, ref zero), r7 = Row8(ref src, stride, 7, channels, ref zero);
            Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            r0.StoreUnsafe(ref dst);
            r1.StoreUnsafe(ref dst, 8);
            r2.StoreUnsafe(ref dst, 16);
            r3.StoreUnsafe(ref dst, 24);
            r4.StoreUnsafe(ref dst, 32);
            r5.StoreUnsafe(ref dst, 40);
            r6.StoreUnsafe(ref dst, 48);
            r7.StoreUnsafe(ref dst, 56);
        }
        else
        {
            Vector128<float> r0 = Row4(ref src, stride, 0, channels, ref zero), r1 = Row4(ref src, stride, 1, channels, ref zero);
            Vector128<float> r2 = Row4(ref src, stride, 2, channels, ref zero), r3 = Row4(ref src, stride, 3, channels, ref zero);
            Transpose4(ref r0, ref r1, ref r2, ref r3);
            r0.StoreUnsafe(ref dst);
            r1.StoreUnsafe(ref dst, 4);
            r2.StoreUnsafe(ref dst, 8);
            r3.StoreUnsafe(ref dst, 12);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8(ref float src, int stride, int l, int channels, ref float zero) =>
        Vector256.LoadUnsafe(ref l < channels ? ref Unsafe.Add(ref src, (nint)l * stride) : ref zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Row4(ref float src, int stride, int l, int channels, ref float zero) =>
        Vector128.LoadUnsafe(ref l < channels ? ref Unsafe.Add(ref src, (nint)l * stride) : ref zero);

    /// <summary>Transposes the 8×8 matrix whose rows are r0…r7 (unpack, shuffle, then swap 128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            r0 = Avx.Permute2x128(u0, u4, 0x20);
            r1 = Avx.Permute2x128(u1, u5, 0x20);
            r2 = Avx.Permute2x128(u2, u6, 0x20);
            r3 = Avx.Permute2x128(u3, u7, 0x20);
            r4 = Avx.Permute2x128(u0, u4, 0x31);
            r5 = Avx.Permute2x128(u1, u5, 0x31);
            r6 = Avx.Permute2x128(u2, u6, 0x31);
            r7 = Avx.Permute2x128(u3, u7, 0x31);
            return;
        }

        // Vector256 is accelerated only with AVX; this keeps the method total.
        Span<float> m = stackalloc float[64];
        ReadOnlySpan<Vector256<float>> rows = [r0, r1, r2, r3, r4, r5, r6, r7];
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                m[(j * 8) + i] = rows[i][j];
            }
        }

        ref float mr = ref MemoryMarshal.GetReference(m);
        r0 = Vector256.LoadUnsafe(ref mr);
        r1 = Vector256.LoadUnsafe(ref mr, 8);
        r2 = Vector256.LoadUnsafe(ref mr, 16);
        r3 = Vector256.LoadUnsafe(ref mr, 24);
        r4 = Vector256.LoadUnsafe(ref mr, 32);
        r5 = Vector256.LoadUnsafe(ref mr, 40);
        r6 = Vector256.LoadUnsafe(ref mr, 48);
        r7 = Vector256.LoadUnsafe(ref mr, 56);
    }

    /// <summary>Transposes the 4×4 matrix whose rows are r0…r3 (WinogradConv uses it too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose4(ref Vector128<float> r0, ref Vector128<float> r1, ref Vector128<float> r2, ref Vector128<float> r3)
    {
        if (Sse.IsSupported)
        {
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackLow(r2, r3), t2 = Sse.UnpackHigh(r0, r1), t3 = Sse.UnpackHigh(r2, r3);
            r0 = Sse.MoveLowToHigh(t0, t1);
            r1 = Sse.MoveHighToLow(t1, t0);
            r2 = Sse.MoveLowToHigh(t2, t3);
            r3 = Sse.MoveHighToLow(t3, t2);
            return;
        }

        Vector128<float> a = r0, b = r1, c = r2, d = r3;
        r0 = Vector128.Create(a[0], b[0], c[0], d[0]);
        r1 = Vector128.Create(a[1], b[1], c[1], d[1]);
        r2 = Vector128.Create(a[2], b[2], c[2], d[2]);
        r3 = Vector128.Create(a[3], b[3], c[3], d[3]);
    }
}
