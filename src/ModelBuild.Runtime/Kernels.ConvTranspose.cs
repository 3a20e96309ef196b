using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ConvTranspose(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> scratch, in ConvTransposeShape s, int batch)
    {
        ConvTransposeBody(level, x, w, bias, y, scratch, in s, batch);
    }

    // ConvTranspose's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConvTransposeBody(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> scratch, in ConvTransposeShape s, int batch)
    {
        int cg = s.C / s.Group, ocg = s.OC / s.Group, m = s.RowsPerGroup, p = s.In.Volume, q = s.Out.Volume;
        for (int j = 0; j < batch * s.OC; j++)
        {
            Simd.Fill(y.Slice(j * q, q), bias.IsEmpty ? 0 : bias[j % s.OC]);
        }

        if (p == 0)
        {
            return;
        }

        bool packed = (long)w.Rows * w.Cols <= MaxPackedConvWeights;
        ReadOnlySpan<float> pw = packed ? w.PackedConv(m) : default;
        int groupFloats = (m + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * cg;
        var ep = new Epilogue([], Activation.None);
        Span<float> col = scratch[..(m * p)];
        for (int n = 0; n < batch; n++)
        {
            for (int g = 0; g < s.Group; g++)
            {
                ref float xg = ref MemoryMarshal.GetReference(x.Slice(((n * s.C) + (g * cg)) * p, cg * p));
                if (!pw.IsEmpty)
                {
                    ConvGemm.RunPacked(level, ref Unsafe.Add(ref MemoryMarshal.GetReference(pw), g * groupFloats), m, ref xg, cg, p, ref MemoryMarshal.GetReference(col), 0, ep);
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
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Col2Im(SimdLevel level, ReadOnlySpan<float> col, Span<float> y, in ConvTransposeShape s, int ocg)
    {
        Col2ImBody(level, col, y, in s, ocg);
    }

    // Col2Im's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Col2ImBody(SimdLevel level, ReadOnlySpan<float> col, Span<float> y, in ConvTransposeShape s, int ocg)
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
                    if (k3.W == 2 && st.W == 2 && dl.W == 1 && pb.W == 0 && o3.W >= 2 * i3.W)
                    {
                        // 2-wide kernel, stride 2, no padding (the ×2 upsampling of detection heads): the two taps' rows
                        // interleave into whole output rows, added as vectors instead of one scattered float at a time.
                        Col2ImInterleaved(level, col.Slice(row * p, 2 * p), plane, s, kd, kh);
                        row += 2;
                        continue;
                    }

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

                        foreach (var (inRow, outRow) in s.RowsOfTap(kd, kh))
                        {
                            ReadOnlySpan<float> srow = src.Slice(inRow, i3.W);
                            Span<float> drow = plane.Slice(outRow, o3.W);
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

    /// <summary>
    /// <see cref="Col2Im"/> for taps (kd, kh, 0) and (kd, kh, 1) of a 2-wide, stride-2, unpadded kernel:
    /// <c>y[od, oh, 2·iw + kw] += col[kw][id, ih, iw]</c>, where <paramref name="pair"/> holds both col rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Col2ImInterleaved(SimdLevel level, ReadOnlySpan<float> pair, Span<float> plane, in ConvTransposeShape s, int kd, int kh)
    {
        Col2ImInterleavedBody(level, pair, plane, in s, kd, kh);
    }

    // Col2ImInterleaved's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Col2ImInterleavedBody(SimdLevel level, ReadOnlySpan<float> pair, Span<float> plane, in ConvTransposeShape s, int kd, int kh)
    {
        Dims3 i3 = s.In, o3 = s.Out;
        int p = i3.Volume;
        foreach (var (at, outRow) in s.RowsOfTap(kd, kh))
        {
            ref float a = ref Unsafe.Add(ref MemoryMarshal.GetReference(pair), at);
            ref float b = ref Unsafe.Add(ref MemoryMarshal.GetReference(pair), p + at);
            ref float d = ref MemoryMarshal.GetReference(plane.Slice(outRow, o3.W));
            int iw = 0;
            if (level == SimdLevel.Vector256 && Avx.IsSupported)
            {
                for (; iw <= i3.W - 8; iw += 8)
                {
                    // unpcklps/unpckhps interleave within 128-bit halves (a0 b0 a1 b1 | a4 b4 a5 b5 and a2 b2 a3 b3 |
                    // a6 b6 a7 b7); vperm2f128 joins the halves in order.
                    Vector256<float> va = Vector256.LoadUnsafe(ref a, (nuint)iw), vb = Vector256.LoadUnsafe(ref b, (nuint)iw);
                    Vector256<float> lo = Avx.UnpackLow(va, vb), hi = Avx.UnpackHigh(va, vb);
                    ref float o = ref Unsafe.Add(ref d, 2 * iw);
                    (Vector256.LoadUnsafe(ref o) + Avx.Permute2x128(lo, hi, 0x20)).StoreUnsafe(ref o);
                    (Vector256.LoadUnsafe(ref o, 8) + Avx.Permute2x128(lo, hi, 0x31)).StoreUnsafe(ref o, 8);
                }
            }

            for (; iw < i3.W; iw++)
            {
                Unsafe.Add(ref d, 2 * iw) += Unsafe.Add(ref a, iw);
                Unsafe.Add(ref d, (2 * iw) + 1) += Unsafe.Add(ref b, iw);
            }
        }
    }
}
