using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

/// <summary>A 3-D convolution, NCDHW, per sample.</summary>
/// <param name="C">Input channels.</param>
/// <param name="OC">Output channels.</param>
/// <param name="Group">Number of groups.</param>
/// <param name="In">Input [D, H, W].</param>
/// <param name="Out">Output [OD, OH, OW].</param>
/// <param name="Kernel">[KD, KH, KW].</param>
/// <param name="Stride">Strides.</param>
/// <param name="Dilation">Dilations.</param>
/// <param name="PadBegin">Leading pads (the trailing ones only shape the output size).</param>
internal readonly record struct Conv3DShape(int C, int OC, int Group, Dims3 In, Dims3 Out, Dims3 Kernel, Dims3 Stride, Dims3 Dilation, Dims3 PadBegin);

public static partial class Kernels
{
    /// <summary>
    /// 3-D convolution: per sample and group, a 3-D im2col (<c>col[(ci, kd, kh, kw), (od, oh, ow)]</c>, zero in the
    /// padding) and the same ConvGemm as 2-D convolutions (packed weights when they fit, else per format).
    /// </summary>
    internal static void Conv3D(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch,
        in Conv3DShape s, int batch, Activation act)
    {
        Check.BiasLength(bias, s.OC); // the 512-bit tiles read the bias unchecked (ZmmEpilogue)
        int cg = s.C / s.Group, ocg = s.OC / s.Group, p = s.Out.Volume, inVol = s.In.Volume, k = cg * s.Kernel.Volume;
        bool packed = (long)w.Rows * w.Cols <= MaxPackedConvWeights;
        ReadOnlySpan<float> pw = packed ? w.PackedConv(ocg) : default;
        int groupFloats = (ocg + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * k;
        Span<float> col = scratch[..(k * p)];
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                Im2Col3D(x.Slice(((n * s.C) + (g * cg)) * inVol, cg * inVol), col, s, cg);
                ref float c0 = ref MemoryMarshal.GetReference(col);
                ref float yg = ref MemoryMarshal.GetReference(y.Slice(((n * s.OC) + (g * ocg)) * p, ocg * p));
                if (!pw.IsEmpty)
                {
                    ConvGemm.RunPacked(level, ref Unsafe.Add(ref MemoryMarshal.GetReference(pw), g * groupFloats), ocg, ref c0, k, p, ref yg, g * ocg, new Epilogue(bias, act));
                    continue;
                }

                var ep = new Epilogue(w, bias, act);
                switch (w.Format)
                {
                    case WeightFormat.Float32:
                        ConvGemm.Run<Float32Loader>(level, w, g * ocg, ocg, ref c0, k, p, ref yg, ep);
                        break;
                    case WeightFormat.Int8:
                        ConvGemm.Run<Int8Loader>(level, w, g * ocg, ocg, ref c0, k, p, ref yg, ep);
                        break;
                    default:
                        ConvGemm.Run<Int8AsymLoader>(level, w, g * ocg, ocg, ref c0, k, p, ref yg, ep);
                        break;
                }
            }
        }
    }

    /// <summary>The scratch floats <see cref="Conv3D"/> needs: one group's col matrix.</summary>
    internal static int Conv3DScratch(in Conv3DShape s) => checked(s.C / s.Group * s.Kernel.Volume * s.Out.Volume);

    private static void Im2Col3D(ReadOnlySpan<float> xg, Span<float> col, in Conv3DShape s, int cg)
    {
        Dims3 i3 = s.In, o3 = s.Out, k3 = s.Kernel, st = s.Stride, dl = s.Dilation, pb = s.PadBegin;
        int p = o3.Volume, row = 0;
        for (int ci = 0; ci < cg; ci++)
        {
            ReadOnlySpan<float> volume = xg.Slice(ci * i3.Volume, i3.Volume);
            for (int kd = 0; kd < k3.D; kd++)
            {
                for (int kh = 0; kh < k3.H; kh++)
                {
                    for (int kw = 0; kw < k3.W; kw++, row++)
                    {
                        Span<float> dst = col.Slice(row * p, p);
                        int dx = (kw * dl.W) - pb.W;
                        int owLo = Math.Clamp(CeilDiv(-dx, st.W), 0, o3.W);
                        int owHi = Math.Clamp(CeilDiv(i3.W - dx, st.W), owLo, o3.W);
                        for (int od = 0; od < o3.D; od++)
                        {
                            int id = (od * st.D) - pb.D + (kd * dl.D);
                            for (int oh = 0; oh < o3.H; oh++)
                            {
                                Span<float> d = dst.Slice(((od * o3.H) + oh) * o3.W, o3.W);
                                int ih = (oh * st.H) - pb.H + (kh * dl.H);
                                if ((uint)id >= (uint)i3.D || (uint)ih >= (uint)i3.H)
                                {
                                    d.Clear();
                                    continue;
                                }

                                d[..owLo].Clear();
                                d[owHi..].Clear();
                                ref float src = ref Unsafe.AsRef(in volume[((id * i3.H) + ih) * i3.W]);
                                for (int ow = owLo; ow < owHi; ow++)
                                {
                                    d[ow] = Unsafe.Add(ref src, (ow * st.W) + dx);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
