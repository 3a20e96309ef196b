using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Convolution (KH·KW &gt; 1, OW ≥ 16, AVX2 without AVX-512) read from a zero-padded copy of the input whose columns
/// are split by phase (column mod SW): <c>planes[ci][r][φ][q]</c> = padded column <c>q·SW + φ</c> of padded row r.
/// Tap (kh, kw) of output pixels ow … ow + n − 1 in output row oh is then the contiguous run starting at
/// <c>planes[ci][oh·SH + kh·DH][(kw·DW) mod SW][ow + (kw·DW) div SW]</c>, so each 24-pixel tile copies its K × 24 panel
/// with plain vector loads from one precomputed offset per k, instead of im2col's strided gather of every output
/// row into a K × pixels matrix (BlazeFace's 5×5 stride-2 stem on 3 channels: 75 gathers of 64 per output row,
/// against one deinterleave of each input row). Tiles stay inside one output row. The panel then feeds the
/// packed GEMM tiles (<see cref="ConvGemm"/>), so the arithmetic, and every result bit, is that of the im2col path.
/// </summary>
internal static class PhaseConv
{
    /// <summary>Whether <see cref="Run"/> handles <paramref name="s"/> at <paramref name="level"/>.</summary>
    public static bool Applies(SimdLevel level, in Conv2DShape s) =>
        level == SimdLevel.Vector256 && !Wide512.Enabled && Fits(s) && !(ShiftedIm2ColIsCheaper(s) && ConvGemm.NewTailAndPanelRules);

    /// <summary>
    /// Stride 1 with OW = W builds im2col rows by shifted copies (no gathers), and its tiles run across output rows, while
    /// this path's tiles stay inside a row: a 28-wide row takes a 24- and a 16-wide tile (40 pixels for 28). When that
    /// overhang is above a fifth, im2col wins (mnist_cnn_fc128's 1 → 32 conv on 28×28, mnist-8's 5×5 convs).
    /// </summary>
    private static bool ShiftedIm2ColIsCheaper(in Conv2DShape s) =>
        s.SH == 1 && s.SW == 1 && s.OW == s.W && RowPixels(s.OW) * 5 > s.OW * 6;

    /// <summary>Pixels <see cref="Run"/> computes per output row of <paramref name="ow"/> ≥ 16 (the tiles chosen there).</summary>
    private static int RowPixels(int ow) =>
        ow < 24 ? (ow > 16 ? 32 : 16) : (ow / 24 * 24) + (ow % 24 == 0 ? 0 : ow % 24 > 16 ? 24 : 16);

    // Shapes whose scratch Conv2DScratch sizes for this path (independent of the hardware, so the size is too).
    private static bool Fits(in Conv2DShape s) => s.OW >= 16 && s.KH * s.KW > 1;

    private static int PaddedRows(in Conv2DShape s) => Math.Max(s.H + s.PadTop + s.PadBottom, ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) + 1);

    private static int PhaseWidth(in Conv2DShape s)
    {
        int wp = Math.Max(s.W + s.PadLeft + s.PadRight, ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1);
        return (wp + s.SW - 1) / s.SW;
    }

    /// <summary>Floats of scratch: one group's phase planes and K offsets (0 when the path never applies).</summary>
    public static long Scratch(in Conv2DShape s)
    {
        if (!Fits(s))
        {
            return 0;
        }

        int cg = s.C / s.Group;
        return ((long)cg * PaddedRows(s) * s.SW * PhaseWidth(s)) + (cg * s.KH * s.KW);
    }

    /// <summary>
    /// One group: <c>y[j, oh, ow] = ep(Σ W[j, (ci, kh, kw)]·x[ci, oh·SH + kh·DH − PadTop, ow·SW + kw·DW − PadLeft])</c>
    /// for the group's <paramref name="ocg"/> channels, packed weights at <paramref name="wg"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(SimdLevel level, ReadOnlySpan<float> xg, ref float wg, int ocg, int j0, Span<float> scratch, in Conv2DShape s, int cg, ref float yg, in Epilogue ep)
    {
        RunBody(level, xg, ref wg, ocg, j0, scratch, in s, cg, ref yg, in ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(SimdLevel level, ReadOnlySpan<float> xg, ref float wg, int ocg, int j0, Span<float> scratch, in Conv2DShape s, int cg, ref float yg, in Epilogue ep)
    {
        int hp = PaddedRows(s), wq = PhaseWidth(s), rowFloats = s.SW * wq, k = cg * s.KH * s.KW;
        Span<float> planes = scratch[..(cg * hp * rowFloats)];
        Span<int> offsets = MemoryMarshal.Cast<float, int>(scratch.Slice(planes.Length, k));
        Fill(level, xg, planes, s, cg, hp, wq);

        for (int ci = 0, i = 0; ci < cg; ci++)
        {
            for (int kh = 0; kh < s.KH; kh++)
            {
                for (int kw = 0; kw < s.KW; kw++, i++)
                {
                    int d = kw * s.DW;
                    offsets[i] = ((((ci * hp) + (kh * s.DH)) * s.SW) + (d % s.SW)) * wq + (d / s.SW);
                }
            }
        }

        int p = s.OH * s.OW;
        ref float pl = ref MemoryMarshal.GetReference(planes);
        ref int off = ref MemoryMarshal.GetReference(offsets);
        for (int oh = 0; oh < s.OH; oh++)
        {
            ref float row = ref Unsafe.Add(ref pl, (nint)oh * s.SH * rowFloats);
            ref float yrow = ref Unsafe.Add(ref yg, (nint)oh * s.OW);
            if (s.OW >= 24)
            {
                // 24-wide tiles, the last one (24 or 16 wide) shifted back to end at the row's last pixel.
                int ow = 0;
                for (; ow <= s.OW - 24; ow += 24)
                {
                    Tile<Tile24Ymm>(ref row, ref off, ow, k, ref wg, ocg, j0, p, ref yrow, ep);
                }

                if (ow < s.OW)
                {
                    if (s.OW - ow > 16)
                    {
                        Tile<Tile24Ymm>(ref row, ref off, s.OW - 24, k, ref wg, ocg, j0, p, ref yrow, ep);
                    }
                    else
                    {
                        Tile<Tile16Ymm>(ref row, ref off, s.OW - 16, k, ref wg, ocg, j0, p, ref yrow, ep);
                    }
                }
            }
            else
            {
                Tile<Tile16Ymm>(ref row, ref off, 0, k, ref wg, ocg, j0, p, ref yrow, ep);
                if (s.OW > 16)
                {
                    Tile<Tile16Ymm>(ref row, ref off, s.OW - 16, k, ref wg, ocg, j0, p, ref yrow, ep);
                }
            }
        }
    }

    /// <summary>Output pixels ow … ow + T.Width − 1 of one row, all channels: the panel is copied once and reused per channel block.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile<T>(ref float row, ref int off, int ow, int k, ref float wg, int ocg, int j0, int p, ref float yrow, in Epilogue ep)
        where T : struct, ITile
    {
        TileBody<T>(ref row, ref off, ow, k, ref wg, ocg, j0, p, ref yrow, in ep);
    }

    // Tile's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileBody<T>(ref float row, ref int off, int ow, int k, ref float wg, int ocg, int j0, int p, ref float yrow, in Epilogue ep)
        where T : struct, ITile
    {
        float[] buffer = ConvGemm.PanelBuffer(k * T.Width);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(buffer);
        ref float src = ref Unsafe.Add(ref row, ow);
        for (int i = 0; i < k; i++)
        {
            ref float from = ref Unsafe.Add(ref src, Unsafe.Add(ref off, i));
            for (int c = 0; c < T.Width; c += 8)
            {
                Vector256.LoadUnsafe(ref from, (nuint)c).StoreUnsafe(ref dst, (nuint)c);
            }

            dst = ref Unsafe.Add(ref dst, T.Width);
        }

        ref float col = ref MemoryMarshal.GetArrayDataReference(buffer);
        for (int jb = 0; jb < ocg; jb += ConvGemm.Mr)
        {
            T.Run(ref Unsafe.Add(ref wg, (nint)jb * k), ref col, k, T.Width, p, ref Unsafe.Add(ref yrow, ((nint)jb * p) + ow), j0 + jb, Math.Min(ConvGemm.Mr, ocg - jb), ep);
        }
    }

    /// <summary>The phase planes of one group: zero outside the input, else <c>x[ci, r − PadTop, q·SW + φ − PadLeft]</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fill(SimdLevel level, ReadOnlySpan<float> xg, Span<float> planes, in Conv2DShape s, int cg, int hp, int wq)
    {
        FillBody(level, xg, planes, in s, cg, hp, wq);
    }

    // Fill's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillBody(SimdLevel level, ReadOnlySpan<float> xg, Span<float> planes, in Conv2DShape s, int cg, int hp, int wq)
    {
        int rowFloats = s.SW * wq;
        for (int ci = 0; ci < cg; ci++)
        {
            for (int r = 0; r < hp; r++)
            {
                Span<float> dst = planes.Slice(((ci * hp) + r) * rowFloats, rowFloats);
                int ih = r - s.PadTop;
                if ((uint)ih >= (uint)s.H)
                {
                    dst.Clear();
                    continue;
                }

                int rowStart = ((ci * s.H) + ih) * s.W;
                ref float src = ref Unsafe.AsRef(in xg[rowStart]);
                for (int phase = 0; phase < s.SW; phase++)
                {
                    Span<float> d = dst.Slice(phase * wq, wq);

                    // q with an input column iw = q·SW + phase − PadLeft inside [0, W).
                    int first = phase - s.PadLeft;
                    int qLo = Math.Clamp(Kernels.CeilDiv(-first, s.SW), 0, wq);
                    int qHi = Math.Clamp(Kernels.CeilDiv(s.W - first, s.SW), qLo, wq);
                    d[..qLo].Clear();
                    d[qHi..].Clear();
                    if (qHi > qLo && s.SW == 1)
                    {
                        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref src, qLo + first), qHi - qLo).CopyTo(d[qLo..]);
                    }
                    else if (qHi > qLo)
                    {
                        int offset = (qLo * s.SW) + first;
                        Im2Col.Gather(level, ref Unsafe.Add(ref src, offset), s.SW, ref d[qLo], qHi - qLo, xg.Length - rowStart - offset);
                    }
                }
            }
        }
    }
}
