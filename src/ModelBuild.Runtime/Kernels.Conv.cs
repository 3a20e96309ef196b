using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>2-D convolution, NCHW, with groups, pads, strides, dilations and a fused activation.</summary>
    /// <param name="x">Inputs, <c>batch·C·H·W</c> floats.</param>
    /// <param name="w">Weights as an <c>OC × (C/group·KH·KW)</c> matrix, any format.</param>
    /// <param name="bias">OC floats, or empty for none.</param>
    /// <param name="y">Outputs, <c>batch·OC·OH·OW</c> floats.</param>
    /// <param name="scratch">At least <see cref="Conv2DScratch"/> floats; overwritten.</param>
    /// <param name="s">The convolution's shape.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="act">The fused activation.</param>
    public static void Conv2D(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        ArgumentNullException.ThrowIfNull(w);
        CheckConvShape(s);
        if (w.Rows != s.OC || w.Cols != s.C / s.Group * s.KH * s.KW)
        {
            throw new ArgumentException($"w must be {s.OC}×{s.C / s.Group * s.KH * s.KW} (OC × C/group·KH·KW) but is {w.Rows}×{w.Cols}.", nameof(w));
        }

        Check.AtLeast(x.Length, (long)batch * s.C * s.H * s.W, nameof(x), "batch × C × H × W");
        Check.AtLeast(y.Length, (long)batch * s.OC * s.OH * s.OW, nameof(y), "batch × OC × OH × OW");
        Check.AtLeast(scratch.Length, Conv2DScratch(s), nameof(scratch), "Conv2DScratch(shape)");
        Check.BiasLength(bias, s.OC);
        Conv2D(Simd.Best, x, w, bias, y, scratch, s, batch, act);
    }

    /// <summary>The scratch floats <c>Conv2D</c> needs for <paramref name="s"/> (independent of the batch).</summary>
    /// <param name="s">The convolution's shape.</param>
    /// <returns>For depthwise KH·KW plus about two padded planes (the input and the output with KW − 1 extra columns), 0 for a 1×1 stride-1 unpadded conv, else the im2col matrix size.</returns>
    public static int Conv2DScratch(in Conv2DShape s)
    {
        if (IsDepthwise(s))
        {
            return DepthwiseConv.Scratch(s);
        }

        return IsPointwise(s) ? 0 : checked(s.C / s.Group * s.KH * s.KW * s.OH * s.OW);
    }

    /// <summary>Weight counts up to this get a packed float copy (see <see cref="WeightMatrix.PackedConv"/>): 16 MB.</summary>
    internal const int MaxPackedConvWeights = 1 << 22;

    // packed = false forces the unpacked path, which weights above MaxPackedConvWeights take (tested both ways).
    internal static void Conv2D(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, bool packed = true)
    {
        if (IsDepthwise(s))
        {
            DepthwiseConv.Run(level, x, w, bias, y, scratch, s, batch, act);
            return;
        }

        if (packed && (long)w.Rows * w.Cols <= MaxPackedConvWeights)
        {
            ConvPacked(level, x, w, bias, y, scratch, s, batch, act);
            return;
        }

        switch (w.Format)
        {
            case WeightFormat.Float32:
                ConvIm2Col<Float32Loader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
            case WeightFormat.Int8:
                ConvIm2Col<Int8Loader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
            default:
                ConvIm2Col<Int8AsymLoader>(level, x, w, bias, y, scratch, s, batch, act);
                break;
        }
    }

    private static bool IsDepthwise(in Conv2DShape s) => s.Group == s.C && s.OC == s.C && s.Group > 1;

    // 1×1, stride 1, no padding: the input [C/group, H·W] already is the im2col matrix.
    private static bool IsPointwise(in Conv2DShape s) =>
        s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PadTop == 0 && s.PadLeft == 0 && s.PadBottom == 0 && s.PadRight == 0
        && s.OH == s.H && s.OW == s.W;

    private static void CheckConvShape(in Conv2DShape s)
    {
        if (s.C <= 0 || s.OC <= 0 || s.H <= 0 || s.W <= 0 || s.OH <= 0 || s.OW <= 0 || s.KH <= 0 || s.KW <= 0
            || s.SH <= 0 || s.SW <= 0 || s.DH <= 0 || s.DW <= 0 || s.Group <= 0
            || s.PadTop < 0 || s.PadLeft < 0 || s.PadBottom < 0 || s.PadRight < 0 || s.C % s.Group != 0 || s.OC % s.Group != 0)
        {
            throw new ArgumentException($"Invalid convolution shape {s}: sizes, strides and dilations must be positive, pads ≥ 0, C and OC multiples of Group.", nameof(s));
        }
    }

    private static void ConvIm2Col<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
        where TL : struct, IWeightLoader
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, p = s.OH * s.OW, hw = s.H * s.W, k = cg * s.KH * s.KW;
        bool pointwise = IsPointwise(s);
        var ep = new Epilogue(w, bias, act);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                ReadOnlySpan<float> xg = x.Slice(((n * s.C) + (g * cg)) * hw, cg * hw);
                ref float col = ref MemoryMarshal.GetReference(xg);
                if (!pointwise)
                {
                    Im2Col(xg, scratch, s, cg);
                    col = ref MemoryMarshal.GetReference(scratch);
                }

                ref float yg = ref Unsafe.Add(ref yr, ((nint)(n * s.OC) + (g * ocg)) * p);
                ConvGemm.Run<TL>(level, w, g * ocg, ocg, ref col, k, p, ref yg, ep);
            }
        }
    }

    private static void ConvPacked(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, p = s.OH * s.OW, hw = s.H * s.W, k = cg * s.KH * s.KW;
        int groupFloats = (ocg + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * k;
        bool pointwise = IsPointwise(s);
        var ep = new Epilogue(bias, act);
        ref float pw = ref MemoryMarshal.GetArrayDataReference(w.PackedConv(ocg));
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                ReadOnlySpan<float> xg = x.Slice(((n * s.C) + (g * cg)) * hw, cg * hw);
                ref float col = ref MemoryMarshal.GetReference(xg);
                if (!pointwise)
                {
                    Im2Col(xg, scratch, s, cg);
                    col = ref MemoryMarshal.GetReference(scratch);
                }

                ref float yg = ref Unsafe.Add(ref yr, ((nint)(n * s.OC) + (g * ocg)) * p);
                ConvGemm.RunPacked(level, ref Unsafe.Add(ref pw, (nint)g * groupFloats), ocg, ref col, k, p, ref yg, g * ocg, ep);
            }
        }
    }

    /// <summary>
    /// Lays out one group's input as <c>col[(ci·KH + kh)·KW + kw, oh·OW + ow]</c>, zero where the tap falls in
    /// the padding. Each (ci, kh, kw) row is a strided copy of input rows, contiguous when the stride is 1.
    /// </summary>
    private static void Im2Col(ReadOnlySpan<float> xg, Span<float> col, in Conv2DShape s, int cg)
    {
        if (s.SH == 1 && s.SW == 1 && s.OW == s.W)
        {
            Im2ColShifted(xg, col, s, cg);
            return;
        }

        int p = s.OH * s.OW;
        int row = 0;
        for (int ci = 0; ci < cg; ci++)
        {
            ReadOnlySpan<float> plane = xg.Slice(ci * s.H * s.W, s.H * s.W);
            for (int kh = 0; kh < s.KH; kh++)
            {
                for (int kw = 0; kw < s.KW; kw++, row++)
                {
                    Span<float> dst = col.Slice(row * p, p);
                    int dx = (kw * s.DW) - s.PadLeft;

                    // Output columns whose tap lands inside the image: ow·SW + dx ∈ [0, W).
                    int owLo = Math.Clamp(CeilDiv(-dx, s.SW), 0, s.OW);
                    int owHi = Math.Clamp(CeilDiv(s.W - dx, s.SW), owLo, s.OW);
                    for (int oh = 0; oh < s.OH; oh++)
                    {
                        Span<float> d = dst.Slice(oh * s.OW, s.OW);
                        int ih = (oh * s.SH) - s.PadTop + (kh * s.DH);
                        if ((uint)ih >= (uint)s.H)
                        {
                            d.Clear();
                            continue;
                        }

                        d[..owLo].Clear();
                        d[owHi..].Clear();
                        ReadOnlySpan<float> src = plane.Slice(ih * s.W, s.W);
                        if (s.SW == 1)
                        {
                            src.Slice(owLo + dx, owHi - owLo).CopyTo(d[owLo..owHi]);
                        }
                        else
                        {
                            for (int ow = owLo; ow < owHi; ow++)
                            {
                                d[ow] = src[(ow * s.SW) + dx];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Stride 1 and OW = W ("same" width, e.g. 3×3 pad 1): a col row is the input plane shifted by
    /// <c>dy·W + dx</c>, so it is one long copy, then the rows above/below the image and the columns that
    /// wrapped around an edge are zeroed. One copy per row instead of one short copy per output row.
    /// </summary>
    private static void Im2ColShifted(ReadOnlySpan<float> xg, Span<float> col, in Conv2DShape s, int cg)
    {
        int p = s.OH * s.W, hw = s.H * s.W, row = 0;
        for (int ci = 0; ci < cg; ci++)
        {
            ReadOnlySpan<float> plane = xg.Slice(ci * hw, hw);
            for (int kh = 0; kh < s.KH; kh++)
            {
                int dy = (kh * s.DH) - s.PadTop;
                int ohLo = Math.Clamp(-dy, 0, s.OH), ohHi = Math.Clamp(s.H - dy, ohLo, s.OH);
                for (int kw = 0; kw < s.KW; kw++, row++)
                {
                    Span<float> dst = col.Slice(row * p, p);
                    int dx = (kw * s.DW) - s.PadLeft;
                    int owLo = Math.Clamp(-dx, 0, s.W), owHi = Math.Clamp(s.W - dx, owLo, s.W);
                    int t0 = ohLo * s.W, t1 = ohHi * s.W, shift = (dy * s.W) + dx;

                    // dst[t] = plane[t + shift] wherever that index exists; the wrapped columns are fixed below.
                    int a = Math.Clamp(-shift, t0, t1), b = Math.Clamp(hw - shift, a, t1);
                    dst[..a].Clear();
                    dst[b..].Clear();

                    // Nothing to copy when the whole row lies in the padding (a 1-row input under a 3-row window:
                    // then a + shift can be negative).
                    if (b > a)
                    {
                        plane.Slice(a + shift, b - a).CopyTo(dst[a..b]);
                    }

                    if (owLo > 0 || owHi < s.W)
                    {
                        for (int oh = ohLo; oh < ohHi; oh++)
                        {
                            Span<float> d = dst.Slice(oh * s.W, s.W);
                            d[..owLo].Clear();
                            d[owHi..].Clear();
                        }
                    }
                }
            }
        }
    }

    /// <summary>⌈a / b⌉ for b &gt; 0 and any sign of a.</summary>
    internal static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
