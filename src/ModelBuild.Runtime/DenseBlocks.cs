using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Dot-product micro-kernels: 4 weight rows × 2 input rows (8 accumulators + 2 Σx, which with the 6 loads
/// fits the 16 vector registers of AVX2), 4 × 1 for an odd row and 1 × 1 for leftover weight rows.
/// Results go to <c>s</c>: dots at [i + 4·r], Σx of input row r at [8 + r].
/// </summary>
internal static class DenseBlocks
{
    public static void Block4x2<TL>(SimdLevel level, ref float xa, ref float xb, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, Span<float> s)
        where TL : struct, IWeightLoader
    {
        int i = level == SimdLevel.Vector256
            ? Block4x2<TL, Vector256Width, Vector256<float>>(ref xa, ref xb, ref w0, ref w1, ref w2, ref w3, k, s)
            : Block4x2<TL, Vector128Width, Vector128<float>>(ref xa, ref xb, ref w0, ref w1, ref w2, ref w3, k, s);

        // Tail of fewer than one vector: scalar.
        for (; i < k; i++)
        {
            float va = Unsafe.Add(ref xa, i), vb = Unsafe.Add(ref xb, i);
            float q0 = TL.Get(ref w0, i), q1 = TL.Get(ref w1, i), q2 = TL.Get(ref w2, i), q3 = TL.Get(ref w3, i);
            s[0] += q0 * va;
            s[1] += q1 * va;
            s[2] += q2 * va;
            s[3] += q3 * va;
            s[4] += q0 * vb;
            s[5] += q1 * vb;
            s[6] += q2 * vb;
            s[7] += q3 * vb;
            s[8] += va;
            s[9] += vb;
        }
    }

    /// <summary>The whole registers of <see cref="Block4x2{TL}"/>: stores the lane sums in <c>s</c>, returns the first column left.</summary>
    private static int Block4x2<TL, W, TV>(ref float xa, ref float xb, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, Span<float> s)
        where TL : struct, IWeightLoader
        where W : IVectorWidth<TV>
        where TV : struct
    {
        int i = 0;
        TV a0 = default, a1 = default, a2 = default, a3 = default;
        TV b0 = default, b1 = default, b2 = default, b3 = default, sa = default, sb = default;
        for (; i <= k - W.Count; i += W.Count)
        {
            TV va = W.Load(ref xa, i);
            TV vb = W.Load(ref xb, i);
            TV w = W.LoadWeights<TL>(ref w0, i);
            a0 = W.MulAdd(w, va, a0);
            b0 = W.MulAdd(w, vb, b0);
            w = W.LoadWeights<TL>(ref w1, i);
            a1 = W.MulAdd(w, va, a1);
            b1 = W.MulAdd(w, vb, b1);
            w = W.LoadWeights<TL>(ref w2, i);
            a2 = W.MulAdd(w, va, a2);
            b2 = W.MulAdd(w, vb, b2);
            w = W.LoadWeights<TL>(ref w3, i);
            a3 = W.MulAdd(w, va, a3);
            b3 = W.MulAdd(w, vb, b3);
            if (TL.Asymmetric)
            {
                sa = W.Add(sa, va);
                sb = W.Add(sb, vb);
            }
        }

        Store(s, W.Sum(a0), W.Sum(a1), W.Sum(a2), W.Sum(a3), W.Sum(b0), W.Sum(b1), W.Sum(b2), W.Sum(b3), W.Sum(sa), W.Sum(sb));
        return i;
    }

    /// <summary>
    /// Whether <see cref="Block4x1{TL}"/> starts with <see cref="DenseBlocksZmm"/>'s 512-bit head (else its precompiled twin,
    /// the same bits) for a call of <paramref name="macs"/> multiply-adds over rows of <paramref name="k"/>: decided once
    /// per call, since a test per 4-row block cost 4–6 % of mnist_mlp_256's batch-1 call.
    /// </summary>
    public static bool ZmmHead(SimdLevel level, int k, long macs) =>
        level == SimdLevel.Vector256 && Wide512.Enabled && k >= DenseBlocksZmm.MinK && DenseBlocksZmm.Hot(macs);

    /// <remarks>
    /// <c>zmmHead</c>: <see cref="ZmmHead"/> for this call (read only where the 512-bit head applies). <c>prefetch</c>: the
    /// 512-bit head prefetches the next 4 rows (<see cref="RowPrefetch.For"/> of the layer; false for decoded scratch rows).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Block4x1<TL>(SimdLevel level, ref float xa, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, Span<float> s, bool zmmHead, bool prefetch = false)
        where TL : struct, IWeightLoader
    {
        Block4x1Body<TL>(level, ref xa, ref w0, ref w1, ref w2, ref w3, k, s, zmmHead, prefetch);
    }

    // Block4x1's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Block4x1Body<TL>(SimdLevel level, ref float xa, ref byte w0, ref byte w1, ref byte w2, ref byte w3, int k, Span<float> s, bool zmmHead, bool prefetch)
        where TL : struct, IWeightLoader
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, sa = default;
            if (Wide512.Enabled && k >= DenseBlocksZmm.MinK)
            {
                // Batch 1 is bound by widening the weights: 16 per vpmovsxbd + vcvtdq2ps halves that work. Until the process
                // has done enough of it to pay for that head's compile, a precompiled twin with its bits.
                // The heads write temporaries: a0…sa passed by reference would live in memory through the loop below.
                Vector256<float> t0, t1, t2, t3, ts;
                if (zmmHead)
                {
                    DenseBlocksZmm.Block4x1<TL>(ref xa, ref w0, ref w1, ref w2, ref w3, k, prefetch, ref i, out t0, out t1, out t2, out t3, out ts);
                }
                else
                {
                    DenseBlocksZmmTwin.Block4x1<TL>(ref xa, ref w0, ref w1, ref w2, ref w3, k, ref i, out t0, out t1, out t2, out t3, out ts);
                }

                (a0, a1, a2, a3, sa) = (t0, t1, t2, t3, ts);
            }

            // The next block of 4 rows (when rows are equally spaced, as every loader's are) is prefetched while this one
            // runs: its rows are too short for the hardware prefetcher to get ahead (see Int8Dense.Gemv).
            nint rowBytes = Unsafe.ByteOffset(ref w0, ref w1);
            byte* ahead = (byte*)Unsafe.AsPointer(ref w0) + (4 * rowBytes);
            nint step = Math.Max(1, 4 * rowBytes * Vector256<float>.Count / Math.Max(1, k));

            // Two accumulators per row: with one, each row's FMAs wait on the one before (4 cycles on Zen 5) and the
            // loop ran at 4 cycles per 32 weights where its 12 instructions need 3 (1024 × 1024 int8: 38.6 → 35.6 µs).
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, sb = default;
            for (; i <= k - (2 * Vector256<float>.Count); i += 2 * Vector256<float>.Count, ahead += 2 * step)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(ahead);
                    Sse.Prefetch0(ahead + step);
                }

                Vector256<float> va = Vector256.LoadUnsafe(ref xa, (nuint)i);
                Vector256<float> vb = Vector256.LoadUnsafe(ref xa, (nuint)(i + Vector256<float>.Count));
                a0 = Simd.MulAdd(TL.Load256(ref w0, i), va, a0);
                a1 = Simd.MulAdd(TL.Load256(ref w1, i), va, a1);
                a2 = Simd.MulAdd(TL.Load256(ref w2, i), va, a2);
                a3 = Simd.MulAdd(TL.Load256(ref w3, i), va, a3);
                b0 = Simd.MulAdd(TL.Load256(ref w0, i + Vector256<float>.Count), vb, b0);
                b1 = Simd.MulAdd(TL.Load256(ref w1, i + Vector256<float>.Count), vb, b1);
                b2 = Simd.MulAdd(TL.Load256(ref w2, i + Vector256<float>.Count), vb, b2);
                b3 = Simd.MulAdd(TL.Load256(ref w3, i + Vector256<float>.Count), vb, b3);
                if (TL.Asymmetric)
                {
                    sa += va;
                    sb += vb;
                }
            }

            (a0, a1, a2, a3, sa) = (a0 + b0, a1 + b1, a2 + b2, a3 + b3, sa + sb);
            for (; i <= k - Vector256<float>.Count; i += Vector256<float>.Count, ahead += step)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(ahead);
                }

                Vector256<float> va = Vector256.LoadUnsafe(ref xa, (nuint)i);
                a0 = Simd.MulAdd(TL.Load256(ref w0, i), va, a0);
                a1 = Simd.MulAdd(TL.Load256(ref w1, i), va, a1);
                a2 = Simd.MulAdd(TL.Load256(ref w2, i), va, a2);
                a3 = Simd.MulAdd(TL.Load256(ref w3, i), va, a3);
                if (TL.Asymmetric)
                {
                    sa += va;
                }
            }

            Store(s, Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3), 0, 0, 0, 0, Vector256.Sum(sa), 0);
        }
        else
        {
            Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, sa = default;
            for (; i <= k - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Vector128<float> va = Vector128.LoadUnsafe(ref xa, (nuint)i);
                a0 = Simd.MulAdd(TL.Load128(ref w0, i), va, a0);
                a1 = Simd.MulAdd(TL.Load128(ref w1, i), va, a1);
                a2 = Simd.MulAdd(TL.Load128(ref w2, i), va, a2);
                a3 = Simd.MulAdd(TL.Load128(ref w3, i), va, a3);
                if (TL.Asymmetric)
                {
                    sa += va;
                }
            }

            Store(s, Vector128.Sum(a0), Vector128.Sum(a1), Vector128.Sum(a2), Vector128.Sum(a3), 0, 0, 0, 0, Vector128.Sum(sa), 0);
        }

        for (; i < k; i++)
        {
            float va = Unsafe.Add(ref xa, i);
            s[0] += TL.Get(ref w0, i) * va;
            s[1] += TL.Get(ref w1, i) * va;
            s[2] += TL.Get(ref w2, i) * va;
            s[3] += TL.Get(ref w3, i) * va;
            s[8] += va;
        }
    }

    public static float Dot<TL>(SimdLevel level, ref float x, ref byte w, int k, out float sumX)
        where TL : struct, IWeightLoader
    {
        float dot, sx;
        int i = level == SimdLevel.Vector256
            ? Dot<TL, Vector256Width, Vector256<float>>(ref x, ref w, k, out dot, out sx)
            : Dot<TL, Vector128Width, Vector128<float>>(ref x, ref w, k, out dot, out sx);
        for (; i < k; i++)
        {
            float v = Unsafe.Add(ref x, i);
            dot += TL.Get(ref w, i) * v;
            sx += v;
        }

        sumX = sx;
        return dot;
    }

    /// <summary>The whole registers of <see cref="Dot{TL}"/>: the lane sums of x·w and of x; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Dot<TL, W, TV>(ref float x, ref byte w, int k, out float dot, out float sumX)
        where TL : struct, IWeightLoader
        where W : IVectorWidth<TV>
        where TV : struct
    {
        return DotBody<TL, W, TV>(ref x, ref w, k, out dot, out sumX);
    }

    // Dot's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DotBody<TL, W, TV>(ref float x, ref byte w, int k, out float dot, out float sumX)
        where TL : struct, IWeightLoader
        where W : IVectorWidth<TV>
        where TV : struct
    {
        int i = 0;
        TV a = default, sa = default;
        for (; i <= k - W.Count; i += W.Count)
        {
            TV v = W.Load(ref x, i);
            a = W.MulAdd(W.LoadWeights<TL>(ref w, i), v, a);
            sa = W.Add(sa, v);
        }

        dot = W.Sum(a);
        sumX = W.Sum(sa);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> s, float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3, float sa, float sb)
    {
        s[0] = a0;
        s[1] = a1;
        s[2] = a2;
        s[3] = a3;
        s[4] = b0;
        s[5] = b1;
        s[6] = b2;
        s[7] = b3;
        s[8] = sa;
        s[9] = sb;
    }
}
