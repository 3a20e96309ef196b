using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Depthwise convolution (group = C = OC) without im2col: each channel's KH·KW taps are decoded to floats in
/// the scratch, and each tap adds <c>tap × (a shifted input row)</c> to an output row, a contiguous axpy
/// when the stride is 1. An im2col would copy the input KH·KW times for a single row of weights.
/// </summary>
internal static class DepthwiseConv
{
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        int taps = s.KH * s.KW, hw = s.H * s.W, p = s.OH * s.OW;
        Span<float> t = scratch[..taps];
        for (int c = 0; c < s.C; c++)
        {
            DecodeRow(w, c, t);
            float b = bias.IsEmpty ? 0 : bias[c];
            for (int n = 0; n < batch; n++)
            {
                int plane = (n * s.C) + c;
                Channel(level, x.Slice(plane * hw, hw), y.Slice(plane * p, p), t, b, s);
                if (act == Activation.Relu)
                {
                    Span<float> yc = y.Slice(plane * p, p);
                    Elementwise.Unary(level, default(ReluOperator), yc, yc);
                }
            }
        }
    }

    private static void DecodeRow(WeightMatrix w, int row, Span<float> taps)
    {
        int k = w.Cols;
        if (w.Format == WeightFormat.Float32)
        {
            w.Floats.Slice(row * k, k).CopyTo(taps);
            return;
        }

        ReadOnlySpan<sbyte> q = w.Int8.Slice(row * k, k);
        float scale = w.Scales[row];
        int zp = w.Format == WeightFormat.Int8Asymmetric ? w.ZeroPoints[row] : 0;
        for (int i = 0; i < k; i++)
        {
            taps[i] = (q[i] - zp) * scale;
        }
    }

    private static void Channel(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> taps, float bias, in Conv2DShape s)
    {
        y.Fill(bias);
        for (int kw = 0; kw < s.KW; kw++)
        {
            int dx = (kw * s.DW) - s.PadLeft;
            int owLo = Math.Clamp(Kernels.CeilDiv(-dx, s.SW), 0, s.OW);
            int owHi = Math.Clamp(Kernels.CeilDiv(s.W - dx, s.SW), owLo, s.OW);
            if (owLo == owHi)
            {
                continue;
            }

            for (int oh = 0; oh < s.OH; oh++)
            {
                ref float yo = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), oh * s.OW);
                for (int kh = 0; kh < s.KH; kh++)
                {
                    int ih = (oh * s.SH) - s.PadTop + (kh * s.DH);
                    if ((uint)ih >= (uint)s.H)
                    {
                        continue;
                    }

                    float tap = taps[(kh * s.KW) + kw];

                    // Start at the first in-range tap so no reference ever points before the input.
                    ref float xi = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), (ih * s.W) + (owLo * s.SW) + dx);
                    if (s.SW == 1)
                    {
                        Axpy(level, tap, ref xi, ref Unsafe.Add(ref yo, owLo), owHi - owLo);
                    }
                    else
                    {
                        for (int ow = owLo, i = 0; ow < owHi; ow++, i += s.SW)
                        {
                            Unsafe.Add(ref yo, ow) += tap * Unsafe.Add(ref xi, i);
                        }
                    }
                }
            }
        }
    }

    /// <summary><c>y[i] += a·x[i]</c>.</summary>
    private static void Axpy(SimdLevel level, float a, ref float x, ref float y, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Simd.MulAdd(va, Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }
        else if (level == SimdLevel.Vector128)
        {
            Vector128<float> va = Vector128.Create(a);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Simd.MulAdd(va, Vector128.LoadUnsafe(ref x, (nuint)i), Vector128.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) += a * Unsafe.Add(ref x, i);
        }
    }
}
