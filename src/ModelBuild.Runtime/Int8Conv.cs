using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// 2-D convolution on uint8 activation codes and int8 weight codes (<see cref="Ops.QuantizedConvOp"/>):
/// <c>y[n, oc, p] = act(float(Σ (q − zp)·w) · (scale·wScale[oc]) + bias[oc] (+ residual))</c>, the sum over the
/// window exact in int32. Each sample is quantised once into an <see cref="Int8ConvImage"/> (channels in 4-byte cells,
/// the padded image split into stride phases), so the 8 output pixels of one register read 32 consecutive bytes for
/// every tap whatever the stride: no im2col. A register tile holds <see cref="Int8ConvWeights.Block"/> output channels ×
/// <see cref="Int8ConvImage.Pixels"/> pixels; each step loads two registers of pixel cells and broadcasts one weight cell
/// per channel: AVX-VNNI <c>vpdpbusd</c> on the uint8 codes (the zero point comes out through the weight sums), AVX2
/// <c>vpmaddwd</c> on int16 <c>q − zp</c> cells (a pair is at most 2·255·128, so nothing saturates and a −128 weight is
/// fine). Output positions are blocked in chunks that stay in L1 with their int32 sums; a vectorised epilogue then
/// writes the NCHW outputs row by row in the compressed .onnx's float order.
/// </summary>
internal static unsafe class Int8Conv
{
    /// <summary>Output positions per chunk: the int32 sums of one block (4 × 512 × 4 B = 8 KiB) stay in L1 until the epilogue.</summary>
    private const int Chunk = 512;

    /// <summary>Bytes of scratch <see cref="Run"/> needs: the image (the int16 form, the larger, of either layout), one block's sums, the step offsets, a sample's codes.</summary>
    public static int ScratchBytes(in Conv2DShape s) => checked(Math.Max(Bytes(s), Bytes(TapsShape(s))) + (s.C * s.H * s.W) + 8);

    private static int Bytes(in Conv2DShape s)
    {
        var image = new Int8ConvImage(s, 2);
        return checked((image.Cells + (Int8ConvWeights.Block * Chunk) + image.Steps(s)) * 4);
    }

    /// <summary>
    /// The convolution the tiles run for <paramref name="s"/> on <paramref name="path"/>: <paramref name="s"/> itself,
    /// or, when its input channels fill few of a cell's lanes and the taps would take fewer steps
    /// (<c>⌈C·KH·KW / lanes⌉ &lt; KH·KW·⌈C / lanes⌉</c>, e.g. a first layer on 1–3 channels), the 1×1 convolution over its
    /// taps that <see cref="Int8ConvImage.FillTaps"/> lays out (<paramref name="taps"/> true).
    /// </summary>
    internal static Conv2DShape TileShape(Int8Path path, in Conv2DShape s, out bool taps)
    {
        int lanes = LanesOf(path), kernel = s.KH * s.KW;
        taps = s.Group == 1 && kernel > 1 && (((s.C * kernel) + lanes - 1) / lanes) < kernel * ((s.C + lanes - 1) / lanes);
        return taps ? TapsShape(s) : s;
    }

    /// <summary>The 1×1 convolution over <paramref name="s"/>'s taps: <c>C·KH·KW</c> input channels on the output grid.</summary>
    private static Conv2DShape TapsShape(in Conv2DShape s) =>
        new(s.C * s.KH * s.KW, s.OH, s.OW, s.OC, s.OH, s.OW, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);

    /// <summary>Channels per cell on <paramref name="path"/>: 4 uint8 codes, or 2 int16 on AVX2.</summary>
    internal static int LanesOf(Int8Path path) => path == Int8Path.Avx2 ? 2 : 4;

    /// <summary>Quantises sample <paramref name="x"/> of <paramref name="s"/> into <paramref name="image"/> (laid out for <see cref="TileShape"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Fill(Int8Path path, in Int8ConvImage image, bool taps, ReadOnlySpan<float> x, in Conv2DShape s, float scale, int zeroPoint, Span<int> cells,
        Span<byte> codes)
    {
        FillBody(path, in image, taps, x, in s, scale, zeroPoint, cells, codes);
    }

    // Fill's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillBody(Int8Path path, in Int8ConvImage image, bool taps, ReadOnlySpan<float> x, in Conv2DShape s, float scale, int zeroPoint, Span<int> cells,
        Span<byte> codes)
    {
        var level = path == Int8Path.Scalar ? SimdLevel.Scalar : Simd.Best;
        if (taps)
        {
            image.FillTaps(level, x, s, scale, zeroPoint, cells, codes);
        }
        else
        {
            image.Fill(level, x, s, scale, zeroPoint, cells, codes);
        }
    }

    /// <param name="path">The instructions to use (must be supported).</param>
    /// <param name="x">Input, <c>batch × C × H × W</c>.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="s">The convolution's shape (pads resolved).</param>
    /// <param name="scale">The activations' scale.</param>
    /// <param name="zeroPoint">The activations' zero point, 0–255.</param>
    /// <param name="w">Int8 symmetric weights, <c>OC × (C/group·KH·KW)</c>.</param>
    /// <param name="bias">OC floats or empty.</param>
    /// <param name="residual">Empty, or <c>batch × R × OH × OW</c> added to the first R channels before the activation.</param>
    /// <param name="residualChannels">R.</param>
    /// <param name="act">The fused activation.</param>
    /// <param name="y">Output, <c>batch × OC × OH × OW</c>.</param>
    /// <param name="scratch">At least <see cref="ScratchBytes"/> bytes.</param>
    /// <param name="threads">Intra-op threads (<see cref="Int8ConvParallel"/>): samples, or at batch 1 blocks of output channels, split across them; the same results as one thread.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch, int threads = 1)
    {
        RunBody(path, x, batch, in s, scale, zeroPoint, w, bias, residual, residualChannels, act, y, scratch, threads);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch, int threads = 1)
    {
        if (path == Int8Path.Ssse3)
        {
            path = Int8Path.Scalar; // the tiles need 256-bit registers
        }

        if (threads > 1 && path != Int8Path.Scalar && Int8ConvParallel.Run(path, x, batch, s, scale, zeroPoint, w, bias, residual, residualChannels, act, y, scratch, threads))
        {
            return;
        }

        Samples(path, x, batch, s, scale, zeroPoint, w, bias, residual, residualChannels, act, y, scratch);
    }

    /// <summary>The scratch's parts: the image's cells, one block's sums, the step offsets (filled here unless <paramref name="filled"/>), the rest for a sample's codes.</summary>
    internal static void Split(in Int8ConvImage image, in Conv2DShape s, Span<byte> scratch, out Span<int> cells, out Span<int> sums, out Span<int> offsets,
        out Span<byte> codes, bool filled = false)
    {
        codes = scratch[((image.Cells + (Int8ConvWeights.Block * Chunk) + image.Steps(s)) * 4)..];
        Span<int> all = MemoryMarshal.Cast<byte, int>(scratch);
        offsets = all[(image.Cells + (Int8ConvWeights.Block * Chunk))..][..image.Steps(s)];
        if (!filled)
        {
            image.Offsets(s, offsets);
        }

        cells = all[..image.Cells];
        sums = all[image.Cells..][..(Int8ConvWeights.Block * Chunk)];
    }

    /// <summary>The samples one after the other on this thread.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Samples(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch)
    {
        SamplesBody(path, x, batch, in s, scale, zeroPoint, w, bias, residual, residualChannels, act, y, scratch);
    }

    // Samples's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SamplesBody(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch)
    {
        var ts = TileShape(path, s, out bool taps);
        var image = new Int8ConvImage(ts, LanesOf(path));
        Split(image, ts, scratch, out var cells, out var sums, out var offsets, out var codes);
        int inSample = s.C * s.H * s.W, outPlane = s.OH * s.OW, outSample = s.OC * outPlane;
        for (int n = 0; n < batch; n++)
        {
            Fill(path, image, taps, x.Slice(n * inSample, inSample), s, scale, zeroPoint, cells, codes);
            var sampleResidual = residualChannels == 0 ? default : residual.Slice(n * residualChannels * outPlane, residualChannels * outPlane);
            Blocks(path, image, cells, offsets, sums, ts, scale, zeroPoint, w, bias, sampleResidual, residualChannels, act, y.Slice(n * outSample, outSample),
                0, ts.Group * Int8ConvWeights.Blocks(ts.OC / ts.Group));
        }
    }

    /// <summary>
    /// One filled sample's outputs (<paramref name="s"/> = its <see cref="TileShape"/>) for the (group, block of output channels) pairs <paramref name="first"/> to
    /// <paramref name="last"/> − 1, numbered <c>group · blocks + block</c>.
    /// </summary>
    internal static void Blocks(Int8Path path, in Int8ConvImage image, Span<int> cells, ReadOnlySpan<int> offsets, Span<int> sums, in Conv2DShape s,
        float scale, int zeroPoint, WeightMatrix w, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y,
        int first, int last)
    {
        var e = new ConvOutput(scale, bias, act, residualChannels);
        switch (path)
        {
            case Int8Path.AvxVnni:
                Tiles<VnniCells>(image, cells, offsets, sums, s, -zeroPoint, Int8ConvWeights.For(w, s.KH, s.KW, s.Group, 4), e, residual, y, first, last);
                break;
            case Int8Path.Avx2:
                Tiles<WordCells>(image, cells, offsets, sums, s, 0, Int8ConvWeights.For(w, s.KH, s.KW, s.Group, 2), e, residual, y, first, last);
                break;
            default:
                Reference(image, cells, s, zeroPoint, w, e, residual, y);
                break;
        }
    }

    /// <summary>The definition: one exact int32 sum per output, read from the byte image and the original weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Reference(in Int8ConvImage image, ReadOnlySpan<int> cells, in Conv2DShape s, int zeroPoint, WeightMatrix w, in ConvOutput e,
        ReadOnlySpan<float> residual, Span<float> y)
    {
        ReadOnlySpan<byte> codes = MemoryMarshal.AsBytes(cells);
        int cg = s.C / s.Group, ocg = s.OC / s.Group, plane = s.OH * s.OW;
        ReadOnlySpan<sbyte> weights = w.Int8;
        ReadOnlySpan<float> weightScales = w.Scales;
        for (int oc = 0; oc < s.OC; oc++)
        {
            int groupAt = oc / ocg * image.UnitsPerGroup * image.UnitCells;
            for (int p = 0; p < plane; p++)
            {
                int f = (p / s.OW * image.PhaseW) + (p % s.OW), dot = 0;
                for (int c = 0; c < cg; c++)
                {
                    for (int ky = 0; ky < s.KH; ky++)
                    {
                        for (int kx = 0; kx < s.KW; kx++)
                        {
                            int cell = groupAt + image.Offset(s, ky, kx, c / 4) + f;
                            dot += (codes[(cell * 4) + (c % 4)] - zeroPoint) * weights[(oc * w.Cols) + (((c * s.KH) + ky) * s.KW) + kx];
                        }
                    }
                }

                int i = (oc * plane) + p;
                y[i] = e.Apply(dot, weightScales[oc], oc, oc < e.ResidualChannels ? residual[i] : 0f);
            }
        }
    }

    /// <summary>Tiles of one sample: per chunk of output positions, per (group, block of output channels) in [first, last), 16 positions at a time.</summary>
    /// <remarks>Optimised on first call: tier-0 code would call the tile and each step's instruction (no inlining) for the many calls until tiering catches up.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<TDot>(in Int8ConvImage image, Span<int> cells, ReadOnlySpan<int> offsets, Span<int> sums, in Conv2DShape s, int correction,
        Int8ConvWeights packed, in ConvOutput e, ReadOnlySpan<float> residual, Span<float> y, int first, int last)
        where TDot : struct, ICellDot
    {
        int ocg = s.OC / s.Group, blocks = Int8ConvWeights.Blocks(ocg), steps = offsets.Length;
        fixed (int* image0 = cells)
        fixed (int* weights = packed.Cells)
        fixed (int* offs = offsets)
        fixed (int* acc = sums)
        fixed (float* yp = y)
        fixed (float* rp = residual)
        {
            for (int f0 = 0; f0 < image.TiledFlat; f0 += Chunk)
            {
                int f1 = Math.Min(f0 + Chunk, image.TiledFlat);
                for (int gb = first; gb < last; gb++)
                {
                    int g = gb / blocks, b = gb % blocks;
                    int* groupImage = image0 + ((nint)g * image.UnitsPerGroup * image.UnitCells);
                    int* wBlock = weights + ((nint)gb * steps * Int8ConvWeights.Block);
                    int ocFirst = (g * ocg) + (b * Int8ConvWeights.Block), count = Math.Min(Int8ConvWeights.Block, ocg - (b * Int8ConvWeights.Block));
                    int f = f0;
                    if (image.PhaseW == s.OW && count == Int8ConvWeights.Block)
                    {
                        // No dropped columns: a tile's 16 positions are 16 consecutive outputs of each channel, finished in registers.
                        var block = new BlockOutput(e, packed, correction, gb * Int8ConvWeights.Block, ocFirst, s.OH * s.OW);
                        for (; f + Int8ConvImage.Pixels <= Math.Min(f1, image.Flat); f += Int8ConvImage.Pixels)
                        {
                            TileOut<TDot>(groupImage + f, wBlock, offs, steps, block, f, yp, rp);
                        }
                    }

                    if (f < f1)
                    {
                        for (int t = f; t < f1; t += Int8ConvImage.Pixels)
                        {
                            Tile<TDot>(groupImage + t, wBlock, offs, steps, acc + (t - f));
                        }

                        Epilogue(image, s, e, packed, correction, gb * Int8ConvWeights.Block, ocFirst, count, f, f1, acc, yp, rp);
                    }
                }
            }
        }
    }

    /// <summary>
    /// One tile: 4 output channels × 16 positions over all steps (8 accumulators, 2 pixel registers, 1 broadcast);
    /// the sums go to <paramref name="acc"/>, one row of <see cref="Chunk"/> per channel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TDot>(int* a, int* w, int* offsets, int steps, int* acc)
        where TDot : struct, ICellDot
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int st = 0; st < steps; st++, w += Int8ConvWeights.Block)
        {
            int* p = a + offsets[st];
            var x0 = Vector256.Load(p);
            var x1 = Vector256.Load(p + 8);
            var b = Vector256.Create(w[0]);
            c00 = TDot.Add(c00, x0, b);
            c01 = TDot.Add(c01, x1, b);
            b = Vector256.Create(w[1]);
            c10 = TDot.Add(c10, x0, b);
            c11 = TDot.Add(c11, x1, b);
            b = Vector256.Create(w[2]);
            c20 = TDot.Add(c20, x0, b);
            c21 = TDot.Add(c21, x1, b);
            b = Vector256.Create(w[3]);
            c30 = TDot.Add(c30, x0, b);
            c31 = TDot.Add(c31, x1, b);
        }

        c00.Store(acc);
        c01.Store(acc + 8);
        c10.Store(acc + Chunk);
        c11.Store(acc + Chunk + 8);
        c20.Store(acc + (2 * Chunk));
        c21.Store(acc + (2 * Chunk) + 8);
        c30.Store(acc + (3 * Chunk));
        c31.Store(acc + (3 * Chunk) + 8);
    }

    /// <summary>As <see cref="Tile{TDot}"/>, then the epilogue in registers: positions f..f+15 are outputs f..f+15 of each of the 4 channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileOut<TDot>(int* a, int* w, int* offsets, int steps, in BlockOutput block, int f, float* y, float* residual)
        where TDot : struct, ICellDot
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int st = 0; st < steps; st++, w += Int8ConvWeights.Block)
        {
            int* p = a + offsets[st];
            var x0 = Vector256.Load(p);
            var x1 = Vector256.Load(p + 8);
            var b = Vector256.Create(w[0]);
            c00 = TDot.Add(c00, x0, b);
            c01 = TDot.Add(c01, x1, b);
            b = Vector256.Create(w[1]);
            c10 = TDot.Add(c10, x0, b);
            c11 = TDot.Add(c11, x1, b);
            b = Vector256.Create(w[2]);
            c20 = TDot.Add(c20, x0, b);
            c21 = TDot.Add(c21, x1, b);
            b = Vector256.Create(w[3]);
            c30 = TDot.Add(c30, x0, b);
            c31 = TDot.Add(c31, x1, b);
        }

        block.Store(0, c00, c01, f, y, residual);
        block.Store(1, c10, c11, f, y, residual);
        block.Store(2, c20, c21, f, y, residual);
        block.Store(3, c30, c31, f, y, residual);
    }

    /// <summary>A full block's epilogue constants for <see cref="TileOut{TDot}"/>: the same float steps as <see cref="Epilogue"/>.</summary>
    private readonly ref struct BlockOutput
    {
        private readonly int _fix0, _fix1, _fix2, _fix3, _ocFirst, _plane, _residualChannels;
        private readonly float _scale0, _scale1, _scale2, _scale3, _bias0, _bias1, _bias2, _bias3;
        private readonly bool _hasBias, _relu;

        public BlockOutput(in ConvOutput e, Int8ConvWeights packed, int correction, int lane0, int ocFirst, int plane)
        {
            (_fix0, _fix1, _fix2, _fix3) = (correction * packed.Sums[lane0], correction * packed.Sums[lane0 + 1], correction * packed.Sums[lane0 + 2], correction * packed.Sums[lane0 + 3]);
            (_scale0, _scale1, _scale2, _scale3) = (e.Scale * packed.Scales[lane0], e.Scale * packed.Scales[lane0 + 1], e.Scale * packed.Scales[lane0 + 2], e.Scale * packed.Scales[lane0 + 3]);
            _hasBias = !e.Bias.IsEmpty;
            if (_hasBias)
            {
                (_bias0, _bias1, _bias2, _bias3) = (e.Bias[ocFirst], e.Bias[ocFirst + 1], e.Bias[ocFirst + 2], e.Bias[ocFirst + 3]);
            }

            (_ocFirst, _plane, _residualChannels, _relu) = (ocFirst, plane, e.ResidualChannels, e.Relu);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int j, Vector256<int> lo, Vector256<int> hi, int f, float* y, float* residual)
        {
            int fix = j switch { 0 => _fix0, 1 => _fix1, 2 => _fix2, _ => _fix3 };
            float scale = j switch { 0 => _scale0, 1 => _scale1, 2 => _scale2, _ => _scale3 };
            float bias = j switch { 0 => _bias0, 1 => _bias1, 2 => _bias2, _ => _bias3 };
            int oc = _ocFirst + j;
            nint at = ((nint)oc * _plane) + f;
            Finish(lo, fix, scale, bias, oc, y + at, residual + at);
            Finish(hi, fix, scale, bias, oc, y + at + 8, residual + at + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Finish(Vector256<int> sum, int fix, float scale, float bias, int oc, float* y, float* residual)
        {
            var v = Vector256.ConvertToSingle(sum + Vector256.Create(fix)) * Vector256.Create(scale);
            if (_hasBias)
            {
                v += Vector256.Create(bias);
            }

            if (oc < _residualChannels)
            {
                v += Vector256.Load(residual);
            }

            if (_relu)
            {
                v = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v); // keeps NaN, as ONNX Relu
            }

            v.Store(y);
        }
    }

    /// <summary>
    /// The outputs of one block's channels at positions [f0, f1): each output row's valid columns (ow &lt; OW), 8 at
    /// a time, as <see cref="ConvOutput.Apply"/> computes them (same float steps, so the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Epilogue(in Int8ConvImage image, in Conv2DShape s, in ConvOutput e, Int8ConvWeights packed, int correction, int lane0,
        int ocFirst, int count, int f0, int f1, int* acc, float* y, float* residual)
    {
        int plane = s.OH * s.OW, pw = image.PhaseW;
        int lastRow = Math.Min(s.OH - 1, (f1 - 1) / pw);
        for (int j = 0; j < count; j++)
        {
            int oc = ocFirst + j;
            int fix = correction * packed.Sums[lane0 + j];
            float scale = e.Scale * packed.Scales[lane0 + j];
            bool hasBias = !e.Bias.IsEmpty, hasResidual = oc < e.ResidualChannels;
            float bias = hasBias ? e.Bias[oc] : 0f;
            var vFix = Vector256.Create(fix);
            var vScale = Vector256.Create(scale);
            var vBias = Vector256.Create(bias);
            int* sumsRow = acc + (j * Chunk);
            for (int oh = f0 / pw; oh <= lastRow; oh++)
            {
                int ow0 = Math.Max(f0 - (oh * pw), 0), ow1 = Math.Min(f1 - (oh * pw), s.OW);
                int* src = sumsRow + (oh * pw) - f0;
                nint at = ((nint)oc * plane) + (oh * s.OW);
                float* dst = y + at;
                float* res = residual + at;
                int ow = ow0;
                if (ow1 - ow0 >= 8)
                {
                    for (int o = ow0; ; o = Math.Min(o + 8, ow1 - 8))
                    {
                        var v = Vector256.ConvertToSingle(Vector256.Load(src + o) + vFix) * vScale;
                        if (hasBias)
                        {
                            v += vBias;
                        }

                        if (hasResidual)
                        {
                            v += Vector256.Load(res + o);
                        }

                        if (e.Relu)
                        {
                            v = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v); // keeps NaN, as ONNX Relu
                        }

                        v.Store(dst + o);
                        if (o == ow1 - 8)
                        {
                            break; // the row's last 8 outputs, overlapping the previous vector (y never shares storage with the residual: same values rewritten)
                        }
                    }

                    ow = ow1;
                }

                for (; ow < ow1; ow++)
                {
                    float v = (src[ow] + fix) * scale;
                    if (hasBias)
                    {
                        v += bias;
                    }

                    dst[ow] = e.Finish(v, oc, hasResidual ? res[ow] : 0f);
                }
            }
        }
    }

    /// <summary>One step of the tile: the pixel cells <c>x</c> times the broadcast weight cell <c>w</c>, added to <c>acc</c> per int32 lane.</summary>
    private interface ICellDot
    {
        static abstract Vector256<int> Add(Vector256<int> acc, Vector256<int> x, Vector256<int> w);
    }

    /// <summary>AVX-VNNI: 4 uint8 codes × 4 int8 weights summed into each lane (<c>vpdpbusd</c>, no saturating step).</summary>
    private readonly struct VnniCells : ICellDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<int> x, Vector256<int> w) =>
            AvxVnni.MultiplyWideningAndAdd(acc, x.AsByte(), w.AsSByte());
    }

    /// <summary>AVX2: 2 int16 <c>q − zp</c> × 2 int16 weights summed into each lane (<c>vpmaddwd</c>, |pair| ≤ 65280: exact).</summary>
    private readonly struct WordCells : ICellDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<int> x, Vector256<int> w) =>
            acc + Avx2.MultiplyAddAdjacent(x.AsInt16(), w.AsInt16());
    }

    /// <summary>
    /// The float steps after the exact sum, in the compressed .onnx's order (Cast, Mul by s·wScale formed in float, Add
    /// bias, Add residual, Relu) and without FMA, so each output rounds as ONNX Runtime's separate nodes do.
    /// </summary>
    private readonly ref struct ConvOutput(float scale, ReadOnlySpan<float> bias, Activation act, int residualChannels)
    {
        public readonly float Scale = scale;
        public readonly ReadOnlySpan<float> Bias = bias;
        public readonly bool Relu = act == Activation.Relu;
        public readonly int ResidualChannels = residualChannels;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(int dot, float weightScale, int oc, float residual)
        {
            float v = dot * (Scale * weightScale);
            if (!Bias.IsEmpty)
            {
                v += Bias[oc];
            }

            return Finish(v, oc, residual);
        }

        /// <summary>The residual and the activation on <paramref name="v"/> = float(sum)·scale (+ bias).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Finish(float v, int oc, float residual)
        {
            if (oc < ResidualChannels)
            {
                v += residual;
            }

            return Relu ? Simd.Relu(v) : v;
        }
    }
}
