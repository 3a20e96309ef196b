using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>2-D max pooling, NCHW; padded positions never win (they are skipped, not treated as 0 or −∞).</summary>
    /// <param name="x">Inputs, <c>batch·C·H·W</c> floats.</param>
    /// <param name="y">Outputs, <c>batch·C·OH·OW</c> floats.</param>
    /// <param name="s">The window.</param>
    /// <param name="batch">Number of samples.</param>
    public static void MaxPool2D(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        CheckPool(x, y, s, batch);
        MaxPool2D(Simd.Best, x, y, s, batch);
    }

    /// <summary>2-D average pooling, NCHW.</summary>
    /// <param name="x">Inputs, <c>batch·C·H·W</c> floats.</param>
    /// <param name="y">Outputs, <c>batch·C·OH·OW</c> floats.</param>
    /// <param name="s">The window.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="countIncludePad">
    /// Divide by the number of taps inside the padded input (ONNX <c>count_include_pad=1</c>) instead of the
    /// taps inside the input itself.
    /// </param>
    public static void AveragePool2D(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool countIncludePad)
    {
        CheckPool(x, y, s, batch);
        AveragePool2D(Simd.Best, x, y, s, batch, countIncludePad);
    }

    /// <summary>Average pooling at one SIMD level (the tests run each): the separable <see cref="PoolRows{TR}"/>.</summary>
    internal static void AveragePool2D(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool countIncludePad) =>
        PoolRows<SumPoolReduce>(level, x, y, s, batch, countIncludePad);

    private static void CheckPool(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch)
    {
        if (s.C <= 0 || s.H <= 0 || s.W <= 0 || s.OH <= 0 || s.OW <= 0 || s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0
            || s.DH <= 0 || s.DW <= 0 || s.PadTop < 0 || s.PadLeft < 0 || s.PadBottom < 0 || s.PadRight < 0)
        {
            throw new ArgumentException($"Invalid pooling shape {s}: sizes, strides and dilations must be positive, pads ≥ 0.", nameof(s));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        Check.AtLeast(x.Length, (long)batch * s.C * s.H * s.W, nameof(x), "batch × C × H × W");
        Check.AtLeast(y.Length, (long)batch * s.C * s.OH * s.OW, nameof(y), "batch × C × OH × OW");
    }

    /// <summary>
    /// The tap-by-tap scalar path, one output at a time (the vectorised <see cref="PoolRows{TR}"/> falls back to it
    /// for rows wider than its stack buffer). The tap ranges are clipped once per output row/column so the inner loops have no bounds tests.
    /// </summary>
    internal static void Pool(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool max, bool countIncludePad)
    {
        int hw = s.H * s.W, p = s.OH * s.OW;
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * hw, hw);
            Span<float> yp = y.Slice(plane * p, p);
            for (int oh = 0; oh < s.OH; oh++)
            {
                int h0 = (oh * s.SH) - s.PadTop;
                (int khLo, int khHi) = TapRange(h0, s.DH, s.KH, s.H);
                (int khPadLo, int khPadHi) = TapRange(h0 + s.PadTop, s.DH, s.KH, s.H + s.PadTop + s.PadBottom);
                for (int ow = 0; ow < s.OW; ow++)
                {
                    int w0 = (ow * s.SW) - s.PadLeft;
                    (int kwLo, int kwHi) = TapRange(w0, s.DW, s.KW, s.W);
                    float acc = max ? float.NegativeInfinity : 0;
                    for (int kh = khLo; kh < khHi; kh++)
                    {
                        ReadOnlySpan<float> row = xp.Slice((h0 + (kh * s.DH)) * s.W, s.W);
                        for (int kw = kwLo; kw < kwHi; kw++)
                        {
                            float v = row[w0 + (kw * s.DW)];
                            acc = max ? MathF.Max(acc, v) : acc + v;
                        }
                    }

                    if (!max)
                    {
                        int count;
                        if (countIncludePad)
                        {
                            (int kwPadLo, int kwPadHi) = TapRange(w0 + s.PadLeft, s.DW, s.KW, s.W + s.PadLeft + s.PadRight);
                            count = (khPadHi - khPadLo) * (kwPadHi - kwPadLo);
                        }
                        else
                        {
                            count = (khHi - khLo) * (kwHi - kwLo);
                        }

                        acc = count > 0 ? acc / count : 0;
                    }

                    yp[(oh * s.OW) + ow] = acc;
                }
            }
        }
    }

    /// <summary>The taps k ∈ [lo, hi) with <c>start + k·dilation</c> ∈ [0, size).</summary>
    private static (int Lo, int Hi) TapRange(int start, int dilation, int taps, int size)
    {
        int lo = Math.Clamp(CeilDiv(-start, dilation), 0, taps);
        int hi = Math.Clamp(CeilDiv(size - start, dilation), lo, taps);
        return (lo, hi);
    }
}

public static partial class Kernels
{
    /// <summary>Maximum over each channel: <c>y[i] = max_p x[i·hw + p]</c>; NaN propagates as in MathF.Max.</summary>
    internal static void GlobalMaxPool(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int channels, int hw)
    {
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = x.Slice(c * hw, hw);
            int i = 0;
            float best = float.NegativeInfinity;
            if (level == SimdLevel.Vector256 && hw >= 8)
            {
                var acc = Vector256.Create(float.NegativeInfinity);
                for (; i <= hw - 8; i += 8)
                {
                    acc = IeeeMinMax.Maximum(acc, Vector256.Create(plane.Slice(i, 8)));
                }

                for (int k = 0; k < 8; k++)
                {
                    best = MathF.Max(best, acc[k]);
                }
            }
            else if (level != SimdLevel.Scalar && hw >= 4)
            {
                var acc = Vector128.Create(float.NegativeInfinity);
                for (; i <= hw - 4; i += 4)
                {
                    acc = IeeeMinMax.Maximum(acc, Vector128.Create(plane.Slice(i, 4)));
                }

                for (int k = 0; k < 4; k++)
                {
                    best = MathF.Max(best, acc[k]);
                }
            }

            for (; i < hw; i++)
            {
                best = MathF.Max(best, plane[i]);
            }

            y[c] = best;
        }
    }
}
