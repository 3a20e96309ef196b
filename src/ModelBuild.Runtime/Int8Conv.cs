using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// 2-D convolution on uint8 activation codes and int8 weight codes (<see cref="Ops.QuantizedConvOp"/>):
/// <c>y[n, oc, p] = act(float(Σ (q − zp)·w) · (scale·wScale[oc]) + bias[oc] (+ residual))</c>, the sum over the
/// window exact in int32. The input is quantised once per sample into a zero-padded NHWC byte image whose border holds
/// the zero point (so padding contributes exactly 0, as ConvInteger pads with the input's zero point) and whose channels
/// are padded to a multiple of 4; the product then reads that image directly (no im2col): each step broadcasts the 4
/// channel codes of one tap of one output pixel and multiplies them with 16 output channels' weights
/// (<see cref="Int8ConvWeights"/>), 4 pixels × 16 channels per tile. The zero point is taken out at the end through the
/// weight sums, as <see cref="Int8Dense"/> does.
/// </summary>
internal static unsafe class Int8Conv
{
    /// <summary>Bytes of scratch <see cref="Run"/> needs: the padded image of one sample and one quantised input row.</summary>
    public static int ScratchBytes(in Conv2DShape s) =>
        checked((PaddedH(s) * PaddedW(s) * PixelBytes(s)) + s.W + 32);

    /// <summary>The padded image's height: the rows the output's windows reach.</summary>
    private static int PaddedH(in Conv2DShape s) => ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) + 1;

    private static int PaddedW(in Conv2DShape s) => ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1;

    /// <summary>Bytes per pixel of the padded image: every group's channels, each rounded up to a multiple of 4.</summary>
    private static int PixelBytes(in Conv2DShape s) => s.Group * Int8ConvWeights.PadChannels(s.C / s.Group);

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
    public static void Run(Int8Path path, ReadOnlySpan<float> x, int batch, in Conv2DShape s, float scale, int zeroPoint, WeightMatrix w,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int residualChannels, Activation act, Span<float> y, Span<byte> scratch)
    {
        var packed = Int8ConvWeights.For(w, s.KH, s.KW, s.Group);
        if (path == Int8Path.Ssse3 || (path == Int8Path.Avx2 && packed.HasMinus128))
        {
            path = Int8Path.Scalar; // no 128-bit tile; vpsignb cannot negate −128 (the compressor's symmetric codes never hold it)
        }

        int image = PaddedH(s) * PaddedW(s) * PixelBytes(s);
        Span<byte> padded = scratch[..image];
        Span<byte> row = scratch.Slice(image, s.W);
        var level = path == Int8Path.Scalar ? SimdLevel.Scalar : Simd.Best;
        int inSample = s.C * s.H * s.W, outPlane = s.OH * s.OW, outSample = s.OC * outPlane;
        var e = new ConvOutput(scale, bias, act, residualChannels);
        for (int n = 0; n < batch; n++)
        {
            Pad(level, x.Slice(n * inSample, inSample), s, scale, zeroPoint, padded, row);
            var sampleResidual = residualChannels == 0 ? default : residual.Slice(n * residualChannels * outPlane, residualChannels * outPlane);
            var sampleY = y.Slice(n * outSample, outSample);
            switch (path)
            {
                case Int8Path.AvxVnni:
                    Tiles<VnniByteDot>(padded, s, zeroPoint, packed, e, sampleResidual, sampleY);
                    break;
                case Int8Path.Avx2:
                    Tiles<SignedByteDot>(padded, s, zeroPoint, packed, e, sampleResidual, sampleY);
                    break;
                default:
                    Reference(padded, s, zeroPoint, w, e, sampleResidual, sampleY);
                    break;
            }
        }
    }

    /// <summary>Quantises one sample into the zero-point-filled padded NHWC image.</summary>
    private static void Pad(SimdLevel level, ReadOnlySpan<float> x, in Conv2DShape s, float scale, int zeroPoint, Span<byte> padded, Span<byte> row)
    {
        padded.Fill((byte)zeroPoint);
        int hp = PaddedH(s), wp = PaddedW(s), pixel = PixelBytes(s), cg = s.C / s.Group, cgp = Int8ConvWeights.PadChannels(cg);
        int first = Math.Max(0, -s.PadLeft), last = Math.Min(s.W, wp - s.PadLeft); // input columns inside the image
        for (int c = 0; c < s.C; c++)
        {
            int channelAt = ((c / cg) * cgp) + (c % cg);
            for (int ih = 0; ih < s.H; ih++)
            {
                int r = ih + s.PadTop;
                if (r < 0 || r >= hp || first >= last)
                {
                    continue;
                }

                ActivationQuantizer.Quantize(level, x.Slice(((c * s.H) + ih) * s.W, s.W), scale, zeroPoint, row);
                ref byte dst = ref padded[(((r * wp) + s.PadLeft) * pixel) + channelAt];
                for (int iw = first; iw < last; iw++)
                {
                    Unsafe.Add(ref dst, iw * pixel) = row[iw];
                }
            }
        }
    }

    /// <summary>The definition: one exact int32 sum per output, read from the padded image and the original weights.</summary>
    private static void Reference(ReadOnlySpan<byte> padded, in Conv2DShape s, int zeroPoint, WeightMatrix w, in ConvOutput e, ReadOnlySpan<float> residual, Span<float> y)
    {
        int wp = PaddedW(s), pixel = PixelBytes(s), cg = s.C / s.Group, cgp = Int8ConvWeights.PadChannels(cg), ocg = s.OC / s.Group;
        int plane = s.OH * s.OW;
        ReadOnlySpan<sbyte> codes = w.Int8;
        ReadOnlySpan<float> weightScales = w.Scales;
        for (int oc = 0; oc < s.OC; oc++)
        {
            int g = oc / ocg;
            for (int p = 0; p < plane; p++)
            {
                int oh = p / s.OW, ow = p % s.OW, dot = 0;
                for (int c = 0; c < cg; c++)
                {
                    for (int ky = 0; ky < s.KH; ky++)
                    {
                        for (int kx = 0; kx < s.KW; kx++)
                        {
                            int at = ((((oh * s.SH) + (ky * s.DH)) * wp) + (ow * s.SW) + (kx * s.DW)) * pixel;
                            dot += (padded[at + (g * cgp) + c] - zeroPoint) * codes[(oc * w.Cols) + (((c * s.KH) + ky) * s.KW) + kx];
                        }
                    }
                }

                int i = (oc * plane) + p;
                y[i] = e.Apply(dot, weightScales[oc], oc, oc < e.ResidualChannels ? residual[i] : 0f);
            }
        }
    }

    /// <summary>All tiles of one sample: per group, per block of 16 output channels, 4 output pixels at a time.</summary>
    private static void Tiles<TDot>(Span<byte> padded, in Conv2DShape s, int zeroPoint, Int8ConvWeights packed, in ConvOutput e,
        ReadOnlySpan<float> residual, Span<float> y)
        where TDot : struct, IByteDot
    {
        int wp = PaddedW(s), pixel = PixelBytes(s), cgp = packed.PaddedChannels, ocg = s.OC / s.Group, blocks = Int8ConvWeights.Blocks(ocg);
        int plane = s.OH * s.OW, steps = s.KH * s.KW * (cgp / 4), correction = TDot.Offset - zeroPoint;
        Span<float> lanes = stackalloc float[Int8ConvWeights.Block];
        fixed (byte* image = padded)
        fixed (sbyte* weights = packed.Codes)
        fixed (float* yp = y)
        fixed (float* rp = residual)
        {
            for (int g = 0; g < s.Group; g++)
            {
                for (int b = 0; b < blocks; b++)
                {
                    int lane0 = ((g * blocks) + b) * Int8ConvWeights.Block, ocFirst = (g * ocg) + (b * Int8ConvWeights.Block);
                    var block = new BlockOutput(e, packed, lane0, correction, ocFirst, Math.Min(Int8ConvWeights.Block, ocg - (b * Int8ConvWeights.Block)), plane, yp, rp);
                    sbyte* wBlock = weights + ((nint)((g * blocks) + b) * steps * Int8ConvWeights.Block * 4);
                    byte* groupImage = image + (g * cgp);
                    for (int p0 = 0; p0 < plane; p0 += 4)
                    {
                        // The last tile repeats the last pixel where the plane runs out; those results are not stored.
                        byte* a0 = groupImage + PixelAt(s, wp, pixel, p0);
                        byte* a1 = groupImage + PixelAt(s, wp, pixel, Math.Min(p0 + 1, plane - 1));
                        byte* a2 = groupImage + PixelAt(s, wp, pixel, Math.Min(p0 + 2, plane - 1));
                        byte* a3 = groupImage + PixelAt(s, wp, pixel, Math.Min(p0 + 3, plane - 1));
                        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
                        sbyte* wt = wBlock;
                        for (int ky = 0; ky < s.KH; ky++)
                        {
                            for (int kx = 0; kx < s.KW; kx++)
                            {
                                nint tap = (((ky * s.DH) * wp) + (kx * s.DW)) * pixel;
                                for (int c = 0; c < cgp; c += 4, wt += 64)
                                {
                                    var w0 = Vector256.Load(wt);
                                    var w1 = Vector256.Load(wt + 32);
                                    var q = Vector256.Create(*(int*)(a0 + tap + c)).AsByte();
                                    var m = TDot.Magnitude256(q);
                                    var sg = TDot.Sign256(q);
                                    c00 = TDot.Accumulate256(c00, m, sg, w0);
                                    c01 = TDot.Accumulate256(c01, m, sg, w1);
                                    q = Vector256.Create(*(int*)(a1 + tap + c)).AsByte();
                                    m = TDot.Magnitude256(q);
                                    sg = TDot.Sign256(q);
                                    c10 = TDot.Accumulate256(c10, m, sg, w0);
                                    c11 = TDot.Accumulate256(c11, m, sg, w1);
                                    q = Vector256.Create(*(int*)(a2 + tap + c)).AsByte();
                                    m = TDot.Magnitude256(q);
                                    sg = TDot.Sign256(q);
                                    c20 = TDot.Accumulate256(c20, m, sg, w0);
                                    c21 = TDot.Accumulate256(c21, m, sg, w1);
                                    q = Vector256.Create(*(int*)(a3 + tap + c)).AsByte();
                                    m = TDot.Magnitude256(q);
                                    sg = TDot.Sign256(q);
                                    c30 = TDot.Accumulate256(c30, m, sg, w0);
                                    c31 = TDot.Accumulate256(c31, m, sg, w1);
                                }
                            }
                        }

                        int count = Math.Min(4, plane - p0);
                        block.Store(c00, c01, p0, lanes);
                        if (count > 1)
                        {
                            block.Store(c10, c11, p0 + 1, lanes);
                        }

                        if (count > 2)
                        {
                            block.Store(c20, c21, p0 + 2, lanes);
                        }

                        if (count > 3)
                        {
                            block.Store(c30, c31, p0 + 3, lanes);
                        }
                    }
                }
            }
        }

    }

    /// <summary>Byte offset of output pixel <paramref name="p"/>'s window origin in the padded image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint PixelAt(in Conv2DShape s, int wp, int pixel, int p)
    {
        int oh = p / s.OW, ow = p - (oh * s.OW);
        return ((nint)(oh * s.SH) * wp + (ow * s.SW)) * pixel;
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

            return Relu && v < 0 ? 0 : v; // keeps NaN, as ONNX Relu
        }
    }

    /// <summary>One block of 16 output channels' epilogue constants, as vectors: the zero-point correction, the scales, the bias.</summary>
    private readonly ref struct BlockOutput
    {
        private readonly ConvOutput _e;
        private readonly Vector256<int> _fix0, _fix1;
        private readonly Vector256<float> _scale0, _scale1, _bias0, _bias1;
        private readonly int _ocFirst, _count, _plane;
        private readonly float* _y, _residual;

        public BlockOutput(in ConvOutput e, Int8ConvWeights packed, int lane0, int correction, int ocFirst, int count, int plane, float* y, float* residual)
        {
            _e = e;
            var sums = packed.Sums.AsSpan(lane0, Int8ConvWeights.Block);
            var scales = packed.Scales.AsSpan(lane0, Int8ConvWeights.Block);
            _fix0 = Vector256.Create(sums[..8]) * correction;
            _fix1 = Vector256.Create(sums[8..]) * correction;
            var s = Vector256.Create(e.Scale);
            _scale0 = s * Vector256.Create(scales[..8]);
            _scale1 = s * Vector256.Create(scales[8..]);
            Span<float> b = stackalloc float[Int8ConvWeights.Block];
            b.Clear();
            if (!e.Bias.IsEmpty)
            {
                e.Bias.Slice(ocFirst, count).CopyTo(b);
            }

            _bias0 = Vector256.Create((ReadOnlySpan<float>)b[..8]);
            _bias1 = Vector256.Create((ReadOnlySpan<float>)b[8..]);
            (_ocFirst, _count, _plane) = (ocFirst, count, plane);
            _y = y;
            _residual = residual;
        }

        /// <summary>Writes the outputs of pixel <paramref name="p"/> from its two accumulators (Σ (q − Offset)·w per channel).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Vector256<int> acc0, Vector256<int> acc1, int p, Span<float> lanes)
        {
            var v0 = Vector256.ConvertToSingle(acc0 + _fix0) * _scale0;
            var v1 = Vector256.ConvertToSingle(acc1 + _fix1) * _scale1;
            if (!_e.Bias.IsEmpty)
            {
                v0 += _bias0;
                v1 += _bias1;
            }

            v0.CopyTo(lanes);
            v1.CopyTo(lanes[8..]);
            for (int j = 0; j < _count; j++)
            {
                int oc = _ocFirst + j;
                nint i = ((nint)oc * _plane) + p;
                _y[i] = _e.Finish(lanes[j], oc, oc < _e.ResidualChannels ? _residual[i] : 0f);
            }
        }
    }
}
