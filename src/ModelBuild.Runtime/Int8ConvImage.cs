using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Where <see cref="Int8Conv"/> puts one sample's quantised input so that every tap of every output pixel is a plain
/// offset from the pixel's index, for any stride and dilation, and 8 consecutive output pixels read 32 consecutive
/// bytes (one 256-bit load, no im2col, no gather).
/// <list type="bullet">
/// <item>Cells of 4 bytes: <see cref="Lanes"/> channels of one pixel (4 uint8 codes for <c>vpdpbusd</c>, or 2 int16
/// <c>q − zp</c> for <c>vpmaddwd</c>), channels padded per group to whole cells.</item>
/// <item>The padded image (border = the zero point, so padding adds exactly 0 as ConvInteger pads) split into
/// <c>SH·SW</c> phases by row and column remainder modulo the stride: padded pixel <c>(r, c)</c> sits in phase
/// <c>(r mod SH, c mod SW)</c> at <c>(r div SH, c div SW)</c>. Input row <c>oh·SH + ky·DH</c> is then phase row
/// <c>oh + (ky·DH) div SH</c>, so output pixel <c>f = oh·PhaseW + ow</c> reads cell <c>f + Offset(tap)</c>.</item>
/// <item>Output positions run over <c>OH × PhaseW</c> (<see cref="Flat"/>): the columns past OW are computed and dropped, which
/// costs <c>(PhaseW − OW)/PhaseW</c> (2 of 16 columns for a 3×3 conv on 14 × 14) and keeps every load contiguous.</item>
/// </list>
/// Layout: <c>[unit = group·UnitsPerGroup + channel/Lanes][phase][PhaseH][PhaseW]</c> cells, then
/// <see cref="Slack"/> cells the last tile may read past the end (their results are dropped).
/// </summary>
internal readonly struct Int8ConvImage
{
    /// <summary>Output pixels per register tile (two registers of 8 int32 lanes).</summary>
    public const int Pixels = 16;

    public readonly int Lanes, UnitsPerGroup, Units, PhaseH, PhaseW, UnitCells, Flat, TiledFlat, Slack;

    /// <param name="s">The convolution.</param>
    /// <param name="lanes">Channels per 4-byte cell: 4 (uint8 codes) or 2 (int16).</param>
    public Int8ConvImage(in Conv2DShape s, int lanes)
    {
        Lanes = lanes;
        UnitsPerGroup = (s.C / s.Group + lanes - 1) / lanes;
        Units = s.Group * UnitsPerGroup;
        int hp = ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) + 1, wp = ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1;
        PhaseH = (hp + s.SH - 1) / s.SH;
        PhaseW = (wp + s.SW - 1) / s.SW;
        UnitCells = s.SH * s.SW * PhaseH * PhaseW;
        Flat = s.OH * PhaseW;
        TiledFlat = (Flat + Pixels - 1) / Pixels * Pixels;

        // The last tile reads up to TiledFlat − 1 + the largest tap offset, which stays below UnitCells + PhaseW + Pixels
        // cells past its unit's start (see Offset).
        Slack = PhaseW + Pixels;
    }

    /// <summary>Cells of the whole image, slack included.</summary>
    public int Cells => checked((Units * UnitCells) + Slack);

    /// <summary>Steps of one output channel's sum: every (ky, kx) × every cell of its group's channels.</summary>
    public int Steps(in Conv2DShape s) => s.KH * s.KW * UnitsPerGroup;

    /// <summary>Cell offset of tap (ky, kx) of unit <paramref name="unit"/> (within its group) from output position f.</summary>
    public int Offset(in Conv2DShape s, int ky, int kx, int unit)
    {
        int dy = ky * s.DH, dx = kx * s.DW;
        int phase = ((dy % s.SH) * s.SW) + (dx % s.SW);
        return (unit * UnitCells) + (phase * PhaseH * PhaseW) + ((dy / s.SH) * PhaseW) + (dx / s.SW);
    }

    /// <summary>The cell offsets of all steps in <see cref="Int8ConvWeights"/>' order: (ky, kx) outer, unit inner.</summary>
    public void Offsets(in Conv2DShape s, Span<int> offsets)
    {
        int i = 0;
        for (int ky = 0; ky < s.KH; ky++)
        {
            for (int kx = 0; kx < s.KW; kx++)
            {
                for (int u = 0; u < UnitsPerGroup; u++)
                {
                    offsets[i++] = Offset(s, ky, kx, u);
                }
            }
        }
    }

    /// <summary>
    /// Quantises one sample (<c>C × H × W</c> floats) into <paramref name="cells"/>, as
    /// <see cref="ActivationQuantizer.Quantize"/> computes each code: uint8 codes when <see cref="Lanes"/> is 4, else
    /// int16 <c>q − zp</c> (and 0 as the border). Each cell is built in a register from its channels' codes (shifted
    /// into place and or-ed), 8 pixels at a time where the stride along the width is 1 and rows are at least 8 wide.
    /// Other rows read codes quantised for the whole sample beforehand into <paramref name="codes"/> (vectorised):
    /// quantising them one at a time (a division each) made a 1×1 conv on 7 × 7 with 256 channels take 79 µs against
    /// 4.9 µs with float activations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(SimdLevel level, ReadOnlySpan<float> x, in Conv2DShape s, float scale, int zeroPoint, Span<int> cells, Span<byte> codes)
    {
        bool bytes = Lanes == 4;
        int border = bytes ? zeroPoint * 0x01010101 : 0;
        Simd.Fill(cells, border);
        int cg = s.C / s.Group, phaseCells = PhaseH * PhaseW, plane = s.H * s.W, bits = 32 / Lanes;
        int hp = PhaseH * s.SH, wp = PhaseW * s.SW;
        int first = Math.Max(0, -s.PadLeft), last = Math.Min(s.W, wp - s.PadLeft); // input columns inside the image
        int shift = bytes ? 0 : zeroPoint, mask = bytes ? 0xFF : 0xFFFF;
        Span<int> channels = stackalloc int[Lanes];
        Vector256<float> vScale = Vector256.Create(scale), lo = Vector256.Create((float)-zeroPoint), hi = Vector256.Create((float)(255 - zeroPoint));
        Vector256<int> vZero = Vector256.Create(zeroPoint), vShift = Vector256.Create(shift), vMask = Vector256.Create(mask);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref int cell0 = ref MemoryMarshal.GetReference(cells);
        bool rowVectors = s.SW == 1 && level == SimdLevel.Vector256 && last - first >= 8;

        // Unpadded stride-1 images whose cell rows are as wide as the input's (1×1 convs): each unit's cells are one run
        // of H·W, filled 8 at a time whatever the row width (SqueezeNet's 7 × 7 planes had taken the per-cell path).
        bool flatPlanes = !rowVectors && level == SimdLevel.Vector256 && s.SW == 1 && s.SH == 1 && s.PadLeft == 0 && s.PadTop == 0
            && PhaseW == s.W && PhaseH >= s.H && plane >= 8;
        if (!rowVectors && !flatPlanes)
        {
            ActivationQuantizer.Quantize(level, x[..(s.C * plane)], scale, zeroPoint, codes);
        }

        ref byte code0 = ref MemoryMarshal.GetReference(codes);
        for (int unit = 0; unit < Units; unit++)
        {
            int g = unit / UnitsPerGroup, live = Math.Min(Lanes, cg - ((unit % UnitsPerGroup) * Lanes));
            for (int l = 0; l < live; l++)
            {
                channels[l] = ((g * cg) + ((unit % UnitsPerGroup) * Lanes) + l) * plane;
            }

            if (flatPlanes)
            {
                FlatPlane(ref x0, channels[..live], plane, border, bits, mask, vScale, lo, hi, vZero, vShift, ref Unsafe.Add(ref cell0, unit * UnitCells));
                continue;
            }

            for (int ih = 0; ih < s.H; ih++)
            {
                int r = ih + s.PadTop;
                if (r < 0 || r >= hp || first >= last)
                {
                    continue;
                }

                int rowAt = (unit * UnitCells) + ((r % s.SH) * s.SW * phaseCells) + ((r / s.SH) * PhaseW);
                int iw = first;
                if (rowVectors)
                {
                    for (int at = first; ; at = Math.Min(at + 8, last - 8))
                    {
                        var cell = Vector256.Create(border);
                        for (int l = 0; l < live; l++)
                        {
                            var v = Vector256.LoadUnsafe(ref x0, (nuint)(channels[l] + (ih * s.W) + at));
                            var code = (ActivationQuantizer.Code(v, vScale, lo, hi, vZero) - vShift) & vMask;
                            cell = (cell & ~Vector256.Create(mask << (l * bits))) | (code << (l * bits));
                        }

                        cell.StoreUnsafe(ref Unsafe.Add(ref cell0, rowAt + at + s.PadLeft));
                        if (at == last - 8)
                        {
                            break; // the row's last 8 columns, overlapping the previous vector where W is not a multiple of 8 (same values rewritten)
                        }
                    }

                    iw = last;
                }

                // The padded column's phase and index within it, stepped along instead of a division per cell.
                int phaseCol = (iw + s.PadLeft) % s.SW, atCol = (iw + s.PadLeft) / s.SW;
                for (; iw < last; iw++)
                {
                    int c = border;
                    for (int l = 0; l < live; l++)
                    {
                        int code = (Unsafe.Add(ref code0, channels[l] + (ih * s.W) + iw) - shift) & mask;
                        c = (c & ~(mask << (l * bits))) | (code << (l * bits));
                    }

                    Unsafe.Add(ref cell0, rowAt + (phaseCol * phaseCells) + atCol) = c;
                    if (++phaseCol == s.SW)
                    {
                        phaseCol = 0;
                        atCol++;
                    }
                }
            }
        }
    }

    /// <summary>One unit's cells over a whole unpadded plane (<paramref name="plane"/> ≥ 8 values), 8 at a time; the last 8 overlap.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FlatPlane(ref float x0, ReadOnlySpan<int> channels, int plane, int border, int bits, int mask, Vector256<float> vScale,
        Vector256<float> lo, Vector256<float> hi, Vector256<int> vZero, Vector256<int> vShift, ref int cells)
    {
        FlatPlaneBody(ref x0, channels, plane, border, bits, mask, vScale, lo, hi, vZero, vShift, ref cells);
    }

    // FlatPlane's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatPlaneBody(ref float x0, ReadOnlySpan<int> channels, int plane, int border, int bits, int mask, Vector256<float> vScale,
        Vector256<float> lo, Vector256<float> hi, Vector256<int> vZero, Vector256<int> vShift, ref int cells)
    {
        var vMask = Vector256.Create(mask);
        for (int at = 0; ; at = Math.Min(at + 8, plane - 8))
        {
            var cell = Vector256.Create(border);
            for (int l = 0; l < channels.Length; l++)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)(channels[l] + at));
                var code = (ActivationQuantizer.Code(v, vScale, lo, hi, vZero) - vShift) & vMask;
                cell = (cell & ~Vector256.Create(mask << (l * bits))) | (code << (l * bits));
            }

            cell.StoreUnsafe(ref Unsafe.Add(ref cells, at));
            if (at == plane - 8)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Im2col form for convs with few input channels (<see cref="Int8Conv"/> takes it when it needs fewer steps): this
    /// image is then the input of the 1×1 conv <paramref name="s"/> would be over <c>K = C·KH·KW</c> channels
    /// (<see cref="Int8Conv.TapsShape"/>), lane <c>k</c> of output pixel <c>(oh, ow)</c> holding the code of input
    /// <c>(c, oh·SH + ky·DH − PadTop, ow·SW + kx·DW − PadLeft)</c> for <c>k = (c·KH + ky)·KW + kx</c> (the weight's own
    /// column order), the zero point (int16: 0) outside the input. A first layer on 1 channel with a 3×3 kernel then
    /// takes 3 steps of 4 lanes instead of 9 steps with 1 lane of 4 used.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillTaps(SimdLevel level, ReadOnlySpan<float> x, in Conv2DShape s, float scale, int zeroPoint, Span<int> cells, Span<byte> codes)
    {
        // Each input is quantised once (one division each), then every tap reads its codes.
        ActivationQuantizer.Quantize(level, x, scale, zeroPoint, codes);
        bool bytes = Lanes == 4;
        int border = bytes ? zeroPoint * 0x01010101 : 0;
        Simd.Fill(cells, border);
        int taps = s.KH * s.KW, k = s.C * taps, bits = 32 / Lanes;
        int shift = bytes ? 0 : zeroPoint, mask = bytes ? 0xFF : 0xFFFF;
        Vector256<int> vShift = Vector256.Create(shift), vMask = Vector256.Create(mask);
        ref byte q0 = ref MemoryMarshal.GetReference(codes);
        ref int cell0 = ref MemoryMarshal.GetReference(cells);
        for (int i = 0; i < k; i++)
        {
            int c = i / taps, ky = i / s.KW % s.KH, kx = i % s.KW, lane = i % Lanes, at = lane * bits;
            int unitAt = i / Lanes * UnitCells, dx = (kx * s.DW) - s.PadLeft;
            var keep = Vector256.Create(~(mask << at));
            for (int oh = 0; oh < s.OH; oh++)
            {
                int ih = (oh * s.SH) + (ky * s.DH) - s.PadTop;
                if (ih < 0 || ih >= s.H)
                {
                    continue; // the border
                }

                int rowAt = unitAt + (oh * s.OW), xRow = ((c * s.H) + ih) * s.W;
                int ow = 0;
                if (s.SW == 1 && level == SimdLevel.Vector256)
                {
                    int ow0 = Math.Max(0, -dx), ow1 = Math.Min(s.OW, s.W - dx); // columns whose tap is inside the input
                    if (ow1 - ow0 >= 8)
                    {
                        for (int o = ow0; ; o = Math.Min(o + 8, ow1 - 8))
                        {
                            var q = Vector256.WidenLower(Vector256.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref q0, xRow + o + dx))).AsByte().ToVector256Unsafe()));
                            var code = (q.AsInt32() - vShift) & vMask;
                            ref int dst = ref Unsafe.Add(ref cell0, rowAt + o);
                            ((Vector256.LoadUnsafe(ref dst) & keep) | (code << at)).StoreUnsafe(ref dst);
                            if (o == ow1 - 8)
                            {
                                break; // the last 8 columns, overlapping the previous vector (this lane rewritten with the same codes)
                            }
                        }

                        ow = s.OW; // the columns outside [ow0, ow1) keep the border
                    }
                }

                for (; ow < s.OW; ow++)
                {
                    int iw = (ow * s.SW) + dx;
                    if (iw >= 0 && iw < s.W)
                    {
                        int code = (Unsafe.Add(ref q0, xRow + iw) - shift) & mask;
                        ref int dst = ref Unsafe.Add(ref cell0, rowAt + ow);
                        dst = (dst & ~(mask << at)) | (code << at);
                    }
                }
            }
        }
    }
}
