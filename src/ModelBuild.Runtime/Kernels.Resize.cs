using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One separable resize pass along an axis: <c>dst[o, j, i] = Σ_t wt[j·T+t]·src[o, idx[j·T+t], i]</c> for
    /// <paramref name="outer"/> blocks of <paramref name="inSize"/> (→ <paramref name="outSize"/>) rows of
    /// <paramref name="inner"/> contiguous floats. Rows (inner &gt; 1) are weighted and summed with vectors, or
    /// copied for nearest; the last axis (inner = 1) is a gather.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ResizeAxis(SimdLevel level, ReadOnlySpan<float> src, Span<float> dst, int outer, int inSize, int outSize, int inner,
        ReadOnlySpan<int> idx, ReadOnlySpan<float> wt, int taps)
    {
        ResizeAxisBody(level, src, dst, outer, inSize, outSize, inner, idx, wt, taps);
    }

    // ResizeAxis's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ResizeAxisBody(SimdLevel level, ReadOnlySpan<float> src, Span<float> dst, int outer, int inSize, int outSize, int inner,
        ReadOnlySpan<int> idx, ReadOnlySpan<float> wt, int taps)
    {
        bool doubling = inner == 1 && taps == 1 && level != SimdLevel.Scalar && IsDoubling(idx);
        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> s = src.Slice(o * inSize * inner, inSize * inner);
            Span<float> d = dst.Slice(o * outSize * inner, outSize * inner);
            if (doubling)
            {
                Double(s, d);
                continue;
            }

            if (inner == 1)
            {
                Gather(s, d, idx, wt, taps);
                continue;
            }

            for (int j = 0; j < outSize; j++)
            {
                Span<float> row = d.Slice(j * inner, inner);
                if (taps == 1)
                {
                    // Consecutive outputs often read the same row (upsampling): copy the row already written.
                    bool repeat = j > 0 && idx[j] == idx[j - 1];
                    (repeat ? d.Slice((j - 1) * inner, inner) : s.Slice(idx[j] * inner, inner)).CopyTo(row);
                    continue;
                }

                WeightedRows(level, s, inner, idx.Slice(j * taps, taps), wt.Slice(j * taps, taps), row);
            }
        }
    }

    /// <summary>Whether nearest output j reads input j/2 (×2 upsampling with floor or half-pixel rounding).</summary>
    private static bool IsDoubling(ReadOnlySpan<int> idx)
    {
        for (int j = 0; j < idx.Length; j++)
        {
            if (idx[j] != j >> 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>d[j] = s[j/2]</c>: each vector of 4 inputs becomes two vectors of duplicated pairs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Double(ReadOnlySpan<float> s, Span<float> d)
    {
        DoubleBody(s, d);
    }

    // Double's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DoubleBody(ReadOnlySpan<float> s, Span<float> d)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref float dr = ref MemoryMarshal.GetReference(d);
        int j = 0;
        for (; j <= d.Length - 8; j += 8)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref sr, (nuint)(j >> 1));
            Vector128.Shuffle(v, Vector128.Create(0, 0, 1, 1)).StoreUnsafe(ref dr, (nuint)j);
            Vector128.Shuffle(v, Vector128.Create(2, 2, 3, 3)).StoreUnsafe(ref dr, (nuint)j + 4);
        }

        for (; j < d.Length; j++)
        {
            Unsafe.Add(ref dr, j) = Unsafe.Add(ref sr, j >> 1);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Gather(ReadOnlySpan<float> s, Span<float> d, ReadOnlySpan<int> idx, ReadOnlySpan<float> wt, int taps)
    {
        GatherBody(s, d, idx, wt, taps);
    }

    // Gather's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherBody(ReadOnlySpan<float> s, Span<float> d, ReadOnlySpan<int> idx, ReadOnlySpan<float> wt, int taps)
    {
        ref float sr = ref MemoryMarshal.GetReference(s);
        ref int ir = ref MemoryMarshal.GetReference(idx);
        ref float wr = ref MemoryMarshal.GetReference(wt);
        if (taps == 1)
        {
            for (int j = 0; j < d.Length; j++)
            {
                d[j] = Unsafe.Add(ref sr, Unsafe.Add(ref ir, j));
            }

            return;
        }

        for (int j = 0, k = 0; j < d.Length; j++)
        {
            float acc = 0;
            for (int t = 0; t < taps; t++, k++)
            {
                acc += Unsafe.Add(ref wr, k) * Unsafe.Add(ref sr, Unsafe.Add(ref ir, k));
            }

            d[j] = acc;
        }
    }

    /// <summary><c>row = Σ_t w[t]·s[idx[t] row]</c>, vectorised along the row.</summary>
    private static void WeightedRows(SimdLevel level, ReadOnlySpan<float> s, int inner, ReadOnlySpan<int> idx, ReadOnlySpan<float> w, Span<float> row)
    {
        ref float dr = ref MemoryMarshal.GetReference(row);
        ref float sr = ref MemoryMarshal.GetReference(s);
        int taps = idx.Length, i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i <= inner - 8; i += 8)
            {
                Vector256<float> acc = Vector256<float>.Zero;
                for (int t = 0; t < taps; t++)
                {
                    acc = Simd.MulAdd(Vector256.Create(w[t]), Vector256.LoadUnsafe(ref sr, (nuint)((idx[t] * inner) + i)), acc);
                }

                acc.StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            for (; i <= inner - 4; i += 4)
            {
                Vector128<float> acc = Vector128<float>.Zero;
                for (int t = 0; t < taps; t++)
                {
                    acc = Simd.MulAdd(Vector128.Create(w[t]), Vector128.LoadUnsafe(ref sr, (nuint)((idx[t] * inner) + i)), acc);
                }

                acc.StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < inner; i++)
        {
            float acc = 0;
            for (int t = 0; t < taps; t++)
            {
                acc += w[t] * Unsafe.Add(ref sr, (idx[t] * inner) + i);
            }

            Unsafe.Add(ref dr, i) = acc;
        }
    }

    /// <summary>
    /// Sets every output whose source coordinate on axis <paramref name="axis"/> lies outside the input
    /// (<paramref name="outside"/>[j] = 1) to <paramref name="value"/> (tf_crop_and_resize extrapolation).
    /// </summary>
    internal static void ResizeExtrapolate(Span<float> y, ReadOnlySpan<int> shape, int axis, ReadOnlySpan<int> outside, float value)
    {
        int outer = 1, inner = 1, n = shape[axis];
        for (int a = 0; a < axis; a++)
        {
            outer *= shape[a];
        }

        for (int a = axis + 1; a < shape.Length; a++)
        {
            inner *= shape[a];
        }

        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < n; j++)
            {
                if (outside[j] != 0)
                {
                    Simd.Fill(y.Slice(((o * n) + j) * inner, inner), value);
                }
            }
        }
    }
}
