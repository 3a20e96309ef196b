namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The int8-activation Conv kernel against the integer maths it stands for (ONNX ConvInteger), written out here
/// directly on the NCHW input in 64-bit integers with out-of-image taps skipped (padding holds the zero point, so it
/// adds 0): every path must give the exact window sum, so outputs are compared bit for bit after the same float
/// epilogue; and against float64 convolution of the dequantised values, within half a code per input.
/// </summary>
public sealed class QuantizedConvTests
{
    /// <summary>The paths this machine runs (SSSE3 runs the scalar definition: the tile needs 256-bit registers).</summary>
    public static TheoryData<int> Paths => new(Enum.GetValues<Int8Path>().Where(Int8Dense.IsSupported).Select(p => (int)p));

    /// <summary>
    /// Channel counts around the 4-channel (2 for int16) cells (1, 2, 3, 4, 5, 13), output channels around the 4-channel
    /// blocks (1, 5, 6, 7, 9, 17, 40), rows not a multiple of the 8-pixel registers, strides, dilations, asymmetric pads,
    /// groups, 1-D, 1×1.
    /// </summary>
    private static readonly Conv2DShape[] Shapes =
    [
        Shape(c: 1, h: 7, w: 9, oc: 5, k: 3, pad: 1),
        Shape(c: 3, h: 8, w: 8, oc: 16, k: 3, pad: 1),
        Shape(c: 4, h: 6, w: 5, oc: 17, k: 1, pad: 0),
        Shape(c: 37, h: 7, w: 7, oc: 10, k: 1, pad: 0), // rows narrower than 8 with many cells: codes quantised for the whole sample first
        Shape(c: 5, h: 9, w: 7, oc: 1, k: 5, pad: 2, stride: 2),
        Shape(c: 13, h: 10, w: 11, oc: 40, k: 3, pad: 0, dilation: 2),
        Shape(c: 8, h: 7, w: 7, oc: 16, k: 3, pad: 1, stride: 2, group: 2),
        new(C: 6, H: 9, W: 8, OC: 7, OH: 5, OW: 4, KH: 3, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 0, Group: 1),
        new(C: 4, H: 1, W: 30, OC: 9, OH: 1, OW: 30, KH: 1, KW: 5, SH: 1, SW: 1, DH: 1, DW: 1, PadTop: 0, PadLeft: 2, PadBottom: 0, PadRight: 2, Group: 1),

        // More output positions than one chunk of the kernel's sums (28 × 30 > 512), so a chunk ends inside a row.
        Shape(c: 2, h: 28, w: 28, oc: 6, k: 3, pad: 1),
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_EveryShape_MatchesExactIntegerSums(int path)
    {
        var rng = new Random(17 + path);
        foreach (var s in Shapes)
        {
            foreach (int batch in new[] { 1, 2 })
            {
                RunCase(rng, (Int8Path)path, s, batch, residualChannels: 0, extremes: false, Activation.None);
            }

            RunCase(rng, (Int8Path)path, s, batch: 2, residualChannels: Math.Max(1, s.OC - 2), extremes: false, Activation.Relu);
        }
    }

    /// <summary>Codes 0/255 against weights ±127: the pairs whose int16 sum a plain vpmaddubsw would saturate.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_ExtremeCodesAndWeights_DoNotSaturate(int path)
    {
        var rng = new Random(5);
        RunCase(rng, (Int8Path)path, Shapes[4], batch: 1, residualChannels: 0, extremes: true, Activation.None);
        RunCase(rng, (Int8Path)path, Shapes[1], batch: 1, residualChannels: 0, extremes: true, Activation.Relu);
    }

    /// <summary>Intra-op threads split samples (batch 3) or blocks of output channels (batch 1): the outputs must not change by a bit.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_Threads_GiveTheSameBits(int path)
    {
        var rng = new Random(41);
        var s = Shape(c: 16, h: 16, w: 16, oc: 30, k: 3, pad: 1);
        var (w, _, _) = RandomInt8(rng, s.OC, s.C * 9, extremes: false);
        float[] bias = TestData.Floats(rng, s.OC);
        foreach (int batch in new[] { 1, 3 })
        {
            float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W, -1, 2);
            float[] residual = TestData.Floats(rng, batch * 5 * s.OH * s.OW);
            var one = new float[batch * s.OC * s.OH * s.OW];
            var two = new float[one.Length];
            Kernels.QuantizedConv2D((Int8Path)path, x, w, bias, one, s, batch, Activation.Relu, 0, 0, residual, 5, new byte[Kernels.QuantizedConv2DScratch(s)], threads: 1);
            Kernels.QuantizedConv2D((Int8Path)path, x, w, bias, two, s, batch, Activation.Relu, 0, 0, residual, 5, new byte[Kernels.QuantizedConv2DScratch(s)], threads: 2);
            Assert.Equal(one, two);
            Assert.Contains(one, v => v != 0);
        }
    }

    [Fact]
    public void PublicEntry_Dynamic_IsCloseToFloat64ConvOfTheInput()
    {
        var rng = new Random(23);
        var s = Shapes[4];
        float[] x = TestData.Floats(rng, s.C * s.H * s.W, -1, 2);
        var (w, codes, scales) = RandomInt8(rng, s.OC, s.C / s.Group * s.KH * s.KW, extremes: false);
        float[] bias = TestData.Floats(rng, s.OC);
        var y = new float[s.OC * s.OH * s.OW];
        Kernels.QuantizedConv2D(x, w, bias, y, s, 1, Activation.None, 0, 0, default, 0, new byte[Kernels.QuantizedConv2DScratch(s)]);

        // Float64 maths on the float input and the dequantised weights: each input moves by at most half a code
        // (scale/2), so an output moves by at most scale/2 · Σ|w| over its window.
        (float scale, _) = ActivationQuantizer.DynamicParameters(x);
        var exact = Float64Conv(x, codes, scales, bias, s, out var weightMass);
        for (int i = 0; i < y.Length; i++)
        {
            double bound = (scale / 2 * weightMass[i / (s.OH * s.OW)]) + 1e-5;
            Assert.True(Math.Abs(exact[i] - y[i]) <= bound, $"[{i}] float64 {exact[i]:R}, got {y[i]:R}, bound {bound:G3}");
        }
    }

    [Fact]
    public void PublicEntry_RejectsFloatWeightsBadScalesAndShortScratch()
    {
        var s = Shapes[0];
        (WeightMatrix f32, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, s.OC, s.C * 9);
        var (w, _, _) = RandomInt8(new Random(2), s.OC, s.C * 9, extremes: false);
        var x = new float[s.C * s.H * s.W];
        var y = new float[s.OC * s.OH * s.OW];
        var scratch = new byte[Kernels.QuantizedConv2DScratch(s)];
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedConv2D(x, f32, [], y, s, 1, Activation.None, 0, 0, default, 0, scratch));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedConv2D(x, w, [], y, s, 1, Activation.None, -1, 0, default, 0, scratch));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedConv2D(x, w, [], y, s, 1, Activation.None, 0.1f, 256, default, 0, scratch));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedConv2D(x, w, [], y, s, 1, Activation.None, 0, 0, default, 0, scratch[..^1]));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedConv2D(x, w, [], y, s, 1, Activation.None, 0, 0, default, s.OC + 1, scratch));
    }

    private static void RunCase(Random rng, Int8Path path, in Conv2DShape s, int batch, int residualChannels, bool extremes, Activation act)
    {
        int k = s.C / s.Group * s.KH * s.KW, plane = s.OH * s.OW;
        var (w, codes, scales) = RandomInt8(rng, s.OC, k, extremes);
        float[] x = extremes
            ? [.. Enumerable.Range(0, batch * s.C * s.H * s.W).Select(_ => rng.Next(2) == 0 ? -1f : 1f)]
            : TestData.Floats(rng, batch * s.C * s.H * s.W, -1.5f, 2.5f);
        float[] bias = TestData.Floats(rng, s.OC);
        float[] residual = TestData.Floats(rng, batch * residualChannels * plane);
        var y = new float[batch * s.OC * plane];
        (float scale, int zp) = ActivationQuantizer.DynamicParameters(x);
        Kernels.QuantizedConv2D(path, x, w, bias, y, s, batch, act, 0, 0, residual, residualChannels, new byte[Kernels.QuantizedConv2DScratch(s)]);

        // ONNX QuantizeLinear written out: q = saturate(roundToEven(x / scale) + zp), the division in float.
        var q = x.Select(v => (int)Math.Clamp(Math.Round((double)(v / scale), MidpointRounding.ToEven) + zp, 0, 255)).ToArray();
        int cg = s.C / s.Group, ocg = s.OC / s.Group;
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < s.OC; oc++)
            {
                int g = oc / ocg;
                for (int oh = 0; oh < s.OH; oh++)
                {
                    for (int ow = 0; ow < s.OW; ow++)
                    {
                        long dot = 0;
                        for (int c = 0; c < cg; c++)
                        {
                            for (int ky = 0; ky < s.KH; ky++)
                            {
                                for (int kx = 0; kx < s.KW; kx++)
                                {
                                    int ih = (oh * s.SH) - s.PadTop + (ky * s.DH), iw = (ow * s.SW) - s.PadLeft + (kx * s.DW);
                                    if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
                                    {
                                        int at = ((((n * s.C) + (g * cg) + c) * s.H) + ih) * s.W + iw;
                                        dot += (long)(q[at] - zp) * codes[(oc * k) + (((c * s.KH) + ky) * s.KW) + kx];
                                    }
                                }
                            }
                        }

                        int p = (oh * s.OW) + ow, i = (((n * s.OC) + oc) * plane) + p;
                        float expected = ((float)checked((int)dot) * (scale * scales[oc])) + bias[oc];
                        if (oc < residualChannels)
                        {
                            expected += residual[(((n * residualChannels) + oc) * plane) + p];
                        }

                        expected = act == Activation.Relu && expected < 0 ? 0 : expected;
                        Assert.True(expected.Equals(y[i]), $"{path} {s} batch {batch} [{n},{oc},{oh},{ow}]: exact sum {dot} → {expected:R}, got {y[i]:R}");
                    }
                }
            }
        }
    }

    private static double[] Float64Conv(float[] x, sbyte[] codes, float[] scales, float[] bias, in Conv2DShape s, out double[] weightMass)
    {
        int k = s.C * s.KH * s.KW;
        var y = new double[s.OC * s.OH * s.OW];
        weightMass = new double[s.OC];
        for (int oc = 0; oc < s.OC; oc++)
        {
            weightMass[oc] = codes.Skip(oc * k).Take(k).Sum(c => Math.Abs((double)c) * scales[oc]);
            for (int oh = 0; oh < s.OH; oh++)
            {
                for (int ow = 0; ow < s.OW; ow++)
                {
                    double sum = bias[oc];
                    for (int c = 0; c < s.C; c++)
                    {
                        for (int ky = 0; ky < s.KH; ky++)
                        {
                            for (int kx = 0; kx < s.KW; kx++)
                            {
                                int ih = (oh * s.SH) - s.PadTop + (ky * s.DH), iw = (ow * s.SW) - s.PadLeft + (kx * s.DW);
                                if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
                                {
                                    sum += (double)x[(((c * s.H) + ih) * s.W) + iw] * codes[(oc * k) + (((c * s.KH) + ky) * s.KW) + kx] * scales[oc];
                                }
                            }
                        }
                    }

                    y[(((oc * s.OH) + oh) * s.OW) + ow] = sum;
                }
            }
        }

        return y;
    }

    private static Conv2DShape Shape(int c, int h, int w, int oc, int k, int pad, int stride = 1, int dilation = 1, int group = 1)
    {
        int extent = ((k - 1) * dilation) + 1;
        return new Conv2DShape(c, h, w, oc, ((h + (2 * pad) - extent) / stride) + 1, ((w + (2 * pad) - extent) / stride) + 1, k, k,
            stride, stride, dilation, dilation, pad, pad, pad, pad, group);
    }

    private static (WeightMatrix W, sbyte[] Codes, float[] Scales) RandomInt8(Random rng, int n, int k, bool extremes)
    {
        var codes = new sbyte[n * k];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = extremes ? (sbyte)(rng.Next(2) == 0 ? -127 : 127) : (sbyte)rng.Next(-127, 128);
        }

        float[] scales = TestData.Floats(rng, n, 0.001f, 0.02f);
        var w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Int8, [n, k], BlobWriter.Int8(scales, codes))])).Matrix(0);
        return (w, codes, scales);
    }
}
