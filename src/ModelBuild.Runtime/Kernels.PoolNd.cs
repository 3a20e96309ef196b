namespace ModelBuild.Runtime;

/// <summary>A pooling window over up to 3 spatial axes (depth, height, width; fewer axes use size-1 leading ones).</summary>
/// <param name="C">Channels.</param>
/// <param name="In">Input [D, H, W].</param>
/// <param name="Out">Output [OD, OH, OW].</param>
/// <param name="Kernel">Window [KD, KH, KW].</param>
/// <param name="Stride">Strides.</param>
/// <param name="Dilation">Dilations.</param>
/// <param name="PadBegin">Leading pads.</param>
/// <param name="PadEnd">Trailing pads.</param>
internal readonly record struct Pool3DShape(int C, Dims3 In, Dims3 Out, Dims3 Kernel, Dims3 Stride, Dims3 Dilation, Dims3 PadBegin, Dims3 PadEnd);

public static partial class Kernels
{
    /// <summary>
    /// Max or average pooling over 3 spatial axes (the 3-D windows, and MaxPool's Indices output at any rank), one
    /// output at a time with tap ranges clipped to the input as in <see cref="Pool"/>. <paramref name="indices"/>
    /// (empty for none) receives the flat index into the whole input, <c>((n·C + c)·D + d)·H·W + h·W + w</c>, of the
    /// first maximum in window order (ONNX MaxPool; padding never wins). With <paramref name="columnMajor"/>
    /// (storage_order 1) the position within the plane is numbered <c>(w·H + h)·D + d</c> instead.
    /// </summary>
    internal static void Pool3D(ReadOnlySpan<float> x, Span<float> y, Span<long> indices, in Pool3DShape s, int batch, bool max, bool countIncludePad,
        bool columnMajor = false)
    {
        Dims3 i3 = s.In, o3 = s.Out, k3 = s.Kernel, st = s.Stride, dl = s.Dilation, pb = s.PadBegin, pe = s.PadEnd;
        int inPlane = i3.Volume, outPlane = o3.Volume;
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * inPlane, inPlane);
            int yo = plane * outPlane;
            for (int od = 0; od < o3.D; od++)
            {
                int d0 = (od * st.D) - pb.D;
                (int kdLo, int kdHi) = TapRange(d0, dl.D, k3.D, i3.D);
                int padD = Padded(d0, pb.D, dl.D, k3.D, i3.D + pb.D + pe.D);
                for (int oh = 0; oh < o3.H; oh++)
                {
                    int h0 = (oh * st.H) - pb.H;
                    (int khLo, int khHi) = TapRange(h0, dl.H, k3.H, i3.H);
                    int padH = Padded(h0, pb.H, dl.H, k3.H, i3.H + pb.H + pe.H);
                    for (int ow = 0; ow < o3.W; ow++, yo++)
                    {
                        int w0 = (ow * st.W) - pb.W;
                        (int kwLo, int kwHi) = TapRange(w0, dl.W, k3.W, i3.W);
                        float acc = max ? float.NegativeInfinity : 0;
                        int best = -1;
                        for (int kd = kdLo; kd < kdHi; kd++)
                        {
                            for (int kh = khLo; kh < khHi; kh++)
                            {
                                int rowStart = ((((d0 + (kd * dl.D)) * i3.H) + h0 + (kh * dl.H)) * i3.W) + w0;
                                for (int kw = kwLo; kw < kwHi; kw++)
                                {
                                    int at = rowStart + (kw * dl.W);
                                    float v = xp[at];
                                    if (!max)
                                    {
                                        acc += v;
                                    }
                                    else if (best < 0 || v > acc || (float.IsNaN(v) && !float.IsNaN(acc)))
                                    {
                                        // NaN wins once, as MathF.Max propagates it in the other paths.
                                        acc = v;
                                        best = at;
                                    }
                                }
                            }
                        }

                        if (!max)
                        {
                            int count = countIncludePad
                                ? padD * padH * Padded(w0, pb.W, dl.W, k3.W, i3.W + pb.W + pe.W)
                                : (kdHi - kdLo) * (khHi - khLo) * (kwHi - kwLo);
                            acc = count > 0 ? acc / count : 0;
                        }

                        y[yo] = acc;
                        if (!indices.IsEmpty)
                        {
                            indices[yo] = best < 0 ? -1 : ((long)plane * inPlane) + (columnMajor ? ColumnMajor(best, i3) : best);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Row-major position <c>(d·H + h)·W + w</c> → column-major <c>(w·H + h)·D + d</c>.</summary>
    private static int ColumnMajor(int at, Dims3 size)
    {
        int w = at % size.W, h = at / size.W % size.H, d = at / (size.W * size.H);
        return (((w * size.H) + h) * size.D) + d;
    }

    /// <summary>Taps of a window starting at <paramref name="start"/> that fall inside the padded input (count_include_pad).</summary>
    private static int Padded(int start, int padBegin, int dilation, int taps, int paddedSize)
    {
        (int lo, int hi) = TapRange(start + padBegin, dilation, taps, paddedSize);
        return hi - lo;
    }
}
