using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The MaxPool kernel as it was before the separable path (d352ab9), kept only for `-- quick pool`'s in-process A/B:
/// 2×2/2 vectorised, other inside windows a vectorised vertical max then scalar horizontal taps, padded windows the scalar Pool.
/// </summary>
internal static class LegacyMaxPool
{
    /// <summary>
    /// Max pooling when every window lies inside the input (no padding, no ceil-mode overhang), the usual CNN
    /// case: no tap clipping per output. 2×2 stride 2 (most CNNs) is vectorised: a vertical max of two input
    /// rows, then the horizontal pair max by an even/odd shuffle; other windows take a vectorised vertical max
    /// of their KH rows, then KW scalar taps. Windows reaching outside the input fall back to <see cref="Pool"/>.
    /// Maxima use MathF.Max / Vector.Max, which both propagate NaN, like the general path.
    /// </summary>
    internal static void Run(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        bool inside = s.PadTop == 0 && s.PadLeft == 0 && s.PadBottom == 0 && s.PadRight == 0
            && ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) < s.H && ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) < s.W;
        if (!inside)
        {
            Kernels.Pool(x, y, s, batch, max: true, countIncludePad: false);
            return;
        }

        bool pair = s.KH == 2 && s.KW == 2 && s.SH == 2 && s.SW == 2 && s.DH == 1 && s.DW == 1;
        int hw = s.H * s.W, p = s.OH * s.OW;

        // Other windows: the vertical max of the KH rows first (contiguous, vectorised), then KW taps per output.
        Span<float> column = s.W <= 1024 ? stackalloc float[s.W] : default;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            for (int oh = 0; oh < s.OH; oh++)
            {
                ref float row = ref Unsafe.Add(ref x0, ((nint)plane * hw) + (oh * s.SH * s.W));
                ref float o = ref Unsafe.Add(ref y0, ((nint)plane * p) + (oh * s.OW));
                if (pair)
                {
                    MaxPairRows(level, ref row, ref Unsafe.Add(ref row, s.W), ref o, s.OW);
                    continue;
                }

                if (!column.IsEmpty)
                {
                    ref float v = ref MemoryMarshal.GetReference(column);
                    ColumnMax(level, ref row, s.KH, s.DH * s.W, s.W, ref v);
                    for (int ow = 0; ow < s.OW; ow++)
                    {
                        ref float t = ref Unsafe.Add(ref v, ow * s.SW);
                        float acc = t;
                        for (int kw = 1; kw < s.KW; kw++)
                        {
                            acc = MathF.Max(acc, Unsafe.Add(ref t, kw * s.DW));
                        }

                        Unsafe.Add(ref o, ow) = acc;
                    }

                    continue;
                }

                for (int ow = 0; ow < s.OW; ow++)
                {
                    float acc = float.NegativeInfinity;
                    for (int kh = 0; kh < s.KH; kh++)
                    {
                        ref float r = ref Unsafe.Add(ref row, (kh * s.DH * s.W) + (ow * s.SW));
                        for (int kw = 0; kw < s.KW; kw++)
                        {
                            acc = MathF.Max(acc, Unsafe.Add(ref r, kw * s.DW));
                        }
                    }

                    Unsafe.Add(ref o, ow) = acc;
                }
            }
        }
    }

    /// <summary><c>v[c] = max over kh &lt; rows of row[kh·stride + c]</c> for c &lt; w.</summary>
    private static void ColumnMax(SimdLevel level, ref float row, int rows, int stride, int w, ref float v)
    {
        int c = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; c <= w - 8; c += 8)
            {
                Vector256<float> m = Vector256.LoadUnsafe(ref row, (nuint)c);
                for (int kh = 1; kh < rows; kh++)
                {
                    m = Vector256.Max(m, Vector256.LoadUnsafe(ref row, (nuint)((kh * stride) + c)));
                }

                m.StoreUnsafe(ref v, (nuint)c);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            for (; c <= w - 4; c += 4)
            {
                Vector128<float> m = Vector128.LoadUnsafe(ref row, (nuint)c);
                for (int kh = 1; kh < rows; kh++)
                {
                    m = Vector128.Max(m, Vector128.LoadUnsafe(ref row, (nuint)((kh * stride) + c)));
                }

                m.StoreUnsafe(ref v, (nuint)c);
            }
        }

        for (; c < w; c++)
        {
            float m = Unsafe.Add(ref row, c);
            for (int kh = 1; kh < rows; kh++)
            {
                m = MathF.Max(m, Unsafe.Add(ref row, (kh * stride) + c));
            }

            Unsafe.Add(ref v, c) = m;
        }
    }

    /// <summary><c>o[i] = max(a[2i], a[2i+1], b[2i], b[2i+1])</c> for i &lt; n.</summary>
    private static void MaxPairRows(SimdLevel level, ref float a, ref float b, ref float o, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256 && Avx2.IsSupported)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> m0 = Vector256.Max(Vector256.LoadUnsafe(ref a, (nuint)(2 * i)), Vector256.LoadUnsafe(ref b, (nuint)(2 * i)));
                Vector256<float> m1 = Vector256.Max(Vector256.LoadUnsafe(ref a, (nuint)((2 * i) + 8)), Vector256.LoadUnsafe(ref b, (nuint)((2 * i) + 8)));

                // Per 128-bit lane: evens/odds of m0 then of m1, so the result is outputs 0,1,4,5 | 2,3,6,7;
                // swapping the middle 64-bit pairs puts them in order.
                Vector256<float> r = Vector256.Max(Avx.Shuffle(m0, m1, 0b10_00_10_00), Avx.Shuffle(m0, m1, 0b11_01_11_01));
                Avx2.Permute4x64(r.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref o, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar && Sse.IsSupported)
        {
            for (; i <= n - 4; i += 4)
            {
                Vector128<float> m0 = Vector128.Max(Vector128.LoadUnsafe(ref a, (nuint)(2 * i)), Vector128.LoadUnsafe(ref b, (nuint)(2 * i)));
                Vector128<float> m1 = Vector128.Max(Vector128.LoadUnsafe(ref a, (nuint)((2 * i) + 4)), Vector128.LoadUnsafe(ref b, (nuint)((2 * i) + 4)));
                Vector128.Max(Sse.Shuffle(m0, m1, 0b10_00_10_00), Sse.Shuffle(m0, m1, 0b11_01_11_01)).StoreUnsafe(ref o, (nuint)i);
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
