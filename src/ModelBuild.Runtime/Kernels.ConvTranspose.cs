using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Transposed convolution as GEMM + col2im: per sample and group, <c>col = Wᵀ·x</c> with ConvGemm (rows
    /// (oc, kd, kh, kw), columns the input pixels: the input needs no im2col), then every col row is added into the
    /// output at its tap's offset. The output starts as the bias (or 0).
    /// </summary>
    /// <param name="level">Vector width of the GEMM.</param>
    /// <param name="x">Inputs, <c>batch·C·D·H·W</c>.</param>
    /// <param name="w">Weights as a <c>(OC·K) × (C/group)</c> matrix, rows (group, oc, kd, kh, kw), float32.</param>
    /// <param name="bias">OC floats or empty.</param>
    /// <param name="y">Outputs, <c>batch·OC·OD·OH·OW</c>.</param>
    /// <param name="scratch">At least <see cref="ConvTransposeScratch"/> floats.</param>
    /// <param name="s">The shape.</param>
    /// <param name="batch">Samples.</param>
    internal static void ConvTranspose(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> scratch, in ConvTransposeShape s, int batch)
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, m = s.RowsPerGroup, p = s.In.Volume, q = s.Out.Volume;
        for (int j = 0; j < batch * s.OC; j++)
        {
            y.Slice(j * q, q).Fill(bias.IsEmpty ? 0 : bias[j % s.OC]);
        }

        if (p == 0)
        {
            return;
        }

        bool packed = (long)w.Rows * w.Cols <= MaxPackedConvWeights;
        float[]? pw = packed ? w.PackedConv(m) : null;
        int groupFloats = (m + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * cg;
        var ep = new Epilogue([], Activation.None);
        Span<float> col = scratch[..(m * p)];
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                ref float xg = ref MemoryMarshal.GetReference(x.Slice(((n * s.C) + (g * cg)) * p, cg * p));
                if (pw is not null)
                {
                    ConvGemm.RunPacked(level, ref pw[g * groupFloats], m, ref xg, cg, p, ref MemoryMarshal.GetReference(col), 0, ep);
                }
                else
                {
                    ConvGemm.Run<Float32Loader>(level, w, g * m, m, ref xg, cg, p, ref MemoryMarshal.GetReference(col), ep);
                }

                Col2Im(level, col, y.Slice(((n * s.OC) + (g * ocg)) * q, ocg * q), s, ocg);
            }
        }
    }

    /// <summary>The scratch floats <see cref="ConvTranspose"/> needs: one group's col matrix.</summary>
    internal static int ConvTransposeScratch(in ConvTransposeShape s) => checked(s.RowsPerGroup * s.In.Volume);

    /// <summary><c>y[oc, o(i, k)] += col[(oc, k), i]</c> where the output position lies inside the output.</summary>
    private static void Col2Im(SimdLevel level, ReadOnlySpan<float> col, Span<float> y, in ConvTransposeShape s, int ocg)
    {
        Dims3 i3 = s.In, o3 = s.Out, k3 = s.Kernel, st = s.Stride, dl = s.Dilation, pb = s.PadBegin;
        int p = i3.Volume, q = o3.Volume, row = 0;
        for (int oc = 0; oc < ocg; oc++)
        {
            Span<float> plane = y.Slice(oc * q, q);
            for (int kd = 0; kd < k3.D; kd++)
            {
                for (int kh = 0; kh < k3.H; kh++)
                {
                    for (int kw = 0; kw < k3.W; kw++, row++)
                    {
                        ReadOnlySpan<float> src = col.Slice(row * p, p);
                        int dx = (kw * dl.W) - pb.W;

                        // Input columns whose output column ow = iw·SW + dx lies in [0, OW).
                        int iwLo = Math.Clamp(CeilDiv(-dx, st.W), 0, i3.W);
                        int iwHi = Math.Clamp(CeilDiv(o3.W - dx, st.W), iwLo, i3.W);
                        if (iwLo == iwHi)
                        {
                            continue;
                        }

                        for (int id = 0; id < i3.D; id++)
                        {
                            int od = (id * st.D) - pb.D + (kd * dl.D);
                            if ((uint)od >= (uint)o3.D)
                            {
                                continue;
                            }

                            for (int ih = 0; ih < i3.H; ih++)
                            {
                                int oh = (ih * st.H) - pb.H + (kh * dl.H);
                                if ((uint)oh >= (uint)o3.H)
                                {
                                    continue;
                                }

                                ReadOnlySpan<float> srow = src.Slice(((id * i3.H) + ih) * i3.W, i3.W);
                                Span<float> drow = plane.Slice(((od * o3.H) + oh) * o3.W, o3.W);
                                if (st.W == 1)
                                {
                                    // Contiguous on both sides: a vector add.
                                    ref float acc = ref drow[iwLo + dx];
                                    Elementwise.VV<AddOperator>(level, ref acc, ref MemoryMarshal.GetReference(srow[iwLo..]), ref acc, iwHi - iwLo);
                                    continue;
                                }

                                ref float d = ref MemoryMarshal.GetReference(drow);
                                for (int iw = iwLo; iw < iwHi; iw++)
                                {
                                    Unsafe.Add(ref d, (iw * st.W) + dx) += srow[iw];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
