using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Max pooling at one SIMD level. 2×2 stride 2 with every window inside the input (most CNNs) reads each input row
    /// pair once: the vertical max of two rows, then the horizontal pair max by an even/odd shuffle; 3-wide windows at
    /// stride 2 inside the input take <see cref="MaxPoolTriple"/> on AVX2. Everything else
    /// (any window, stride, dilation, padding, ceil-mode overhang) takes the separable <see cref="PoolRows{TR}"/>.
    /// Maxima propagate NaN as MathF.Max does (<see cref="MaxPoolReduce.Max(Vector256{float}, Vector256{float})"/>); padding is −∞ and never wins.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void MaxPool2D(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        MaxPool2DBody(level, x, y, in s, batch);
    }

    // MaxPool2D's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxPool2DBody(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        bool inside = s.PadTop == 0 && s.PadLeft == 0 && s.PadBottom == 0 && s.PadRight == 0
            && ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) < s.H && ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) < s.W;
        bool pair = s.KH == 2 && s.KW == 2 && s.SH == 2 && s.SW == 2 && s.DH == 1 && s.DW == 1;
        if (inside && s.KW == 3 && s.SW == 2 && s.DW == 1 && level == SimdLevel.Vector256 && Avx2.IsSupported)
        {
            MaxPoolTriple(x, y, s, batch);
            return;
        }

        if (!inside || !pair)
        {
            // The one-maxps fold first; a call whose input had a NaN is rerun with the exact fold (see FastMaxPoolReduce).
            if (level == SimdLevel.Scalar || PoolRows<FastMaxPoolReduce>(level, x, y, s, batch, countIncludePad: false))
            {
                PoolRows<MaxPoolReduce>(level, x, y, s, batch, countIncludePad: false);
            }

            return;
        }

        int hw = s.H * s.W, p = s.OH * s.OW;
        long xEnd = (long)batch * s.C * hw, yEnd = (long)batch * s.C * p;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            for (int oh = 0; oh < s.OH; oh++)
            {
                long a = ((long)plane * hw) + (oh * s.SH * s.W), at = ((long)plane * p) + (oh * s.OW);
                bool spill = a + s.W + 16 <= xEnd && at + 8 <= yEnd;
                ref float row = ref Unsafe.Add(ref x0, (nint)a);
                MaxPairRows(level, ref row, ref Unsafe.Add(ref row, s.W), ref Unsafe.Add(ref y0, (nint)at), s.OW, spill);
            }
        }
    }

    /// <summary>
    /// <c>o[i] = max(a[2i], a[2i+1], b[2i], b[2i+1])</c> for i &lt; n. A last partial register is shifted back to end at n;
    /// with <paramref name="spill"/> (the caller checked that 16 floats from b and 8 from o are in bounds) a row of fewer
    /// than 8 outputs is one whole register whose extra lanes land in rows written later (7×7 maps: 3 scalar outputs fewer).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxPairRows(SimdLevel level, ref float a, ref float b, ref float o, int n, bool spill)
    {
        int i = 0;
        if (level == SimdLevel.Vector256 && Avx2.IsSupported && (n >= 8 || spill))
        {
            int last = Math.Max(n - 8, 0);
            for (; ; i = Math.Min(i + 8, last))
            {
                Vector256<float> m0 = MaxPoolReduce.Max(Vector256.LoadUnsafe(ref a, (nuint)(2 * i)), Vector256.LoadUnsafe(ref b, (nuint)(2 * i)));
                Vector256<float> m1 = MaxPoolReduce.Max(Vector256.LoadUnsafe(ref a, (nuint)((2 * i) + 8)), Vector256.LoadUnsafe(ref b, (nuint)((2 * i) + 8)));

                // Per 128-bit lane: evens/odds of m0 then of m1, so the result is outputs 0,1,4,5 | 2,3,6,7;
                // swapping the middle 64-bit pairs puts them in order.
                Vector256<float> r = MaxPoolReduce.Max(Avx.Shuffle(m0, m1, 0b10_00_10_00), Avx.Shuffle(m0, m1, 0b11_01_11_01));
                Simd.SwapMiddlePairs(r).StoreUnsafe(ref o, (nuint)i);
                if (i == last)
                {
                    return;
                }
            }
        }

        if (level != SimdLevel.Scalar && Sse.IsSupported)
        {
            for (; i <= n - 4; i += 4)
            {
                Vector128<float> m0 = MaxPoolReduce.Max(Vector128.LoadUnsafe(ref a, (nuint)(2 * i)), Vector128.LoadUnsafe(ref b, (nuint)(2 * i)));
                Vector128<float> m1 = MaxPoolReduce.Max(Vector128.LoadUnsafe(ref a, (nuint)((2 * i) + 4)), Vector128.LoadUnsafe(ref b, (nuint)((2 * i) + 4)));
                MaxPoolReduce.Max(Sse.Shuffle(m0, m1, 0b10_00_10_00), Sse.Shuffle(m0, m1, 0b11_01_11_01)).StoreUnsafe(ref o, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float top = MathF.Max(Unsafe.Add(ref a, 2 * i), Unsafe.Add(ref a, (2 * i) + 1));
            float bottom = MathF.Max(Unsafe.Add(ref b, 2 * i), Unsafe.Add(ref b, (2 * i) + 1));
            Unsafe.Add(ref o, i) = MathF.Max(top, bottom);
        }
    }
}
