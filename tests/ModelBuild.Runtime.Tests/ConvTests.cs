namespace ModelBuild.Runtime.Tests;

public sealed class ConvTests
{
    private static Conv2DShape Shape(int c, int h, int w, int oc, int kh, int kw, int sh = 1, int sw = 1, int dh = 1, int dw = 1,
        int pt = 0, int pl = 0, int pb = 0, int pr = 0, int group = 1)
    {
        int oh = ((h + pt + pb - (((kh - 1) * dh) + 1)) / sh) + 1;
        int ow = ((w + pl + pr - (((kw - 1) * dw) + 1)) / sw) + 1;
        return new Conv2DShape(c, h, w, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group);
    }

    private static readonly (string Name, Conv2DShape Shape)[] Shapes =
    [
        ("3x3 pad1", Shape(1, 28, 28, 32, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("3x3 no pad, odd oc", Shape(3, 9, 11, 5, 3, 3)),
        ("stride 2 asym pad", Shape(4, 13, 10, 6, 3, 3, sh: 2, sw: 2, pt: 1, pl: 0, pb: 2, pr: 1)),
        ("dilation 2", Shape(2, 12, 12, 7, 3, 3, dh: 2, dw: 2, pt: 2, pl: 2, pb: 2, pr: 2)),
        ("5x3 stride 3x1 dil 1x2", Shape(3, 15, 14, 9, 5, 3, sh: 3, sw: 1, dh: 1, dw: 2, pt: 1, pl: 3, pb: 0, pr: 2)),
        ("groups 2", Shape(6, 8, 9, 10, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 2)),
        ("groups 3 stride 2", Shape(6, 11, 7, 9, 3, 2, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, group: 3)),
        ("depthwise 3x3", Shape(8, 10, 10, 8, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 8)),
        ("depthwise stride 2 dil 2", Shape(5, 13, 12, 5, 3, 3, sh: 2, sw: 2, dh: 2, dw: 2, pt: 2, pl: 1, pb: 2, pr: 2, group: 5)),
        ("depthwise 5x5 stride 2 pad 2, 16 wide", Shape(3, 16, 16, 3, 5, 5, sh: 2, sw: 2, pt: 2, pl: 2, pb: 2, pr: 2, group: 3)),
        ("depthwise 3x3 pad 1, 45 wide (32 + 8 + 4 + 1)", Shape(2, 5, 45, 2, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 2)),
        ("depthwise stride 2 pad right only, 35 out", Shape(2, 6, 70, 2, 3, 3, sh: 2, sw: 2, pb: 1, pr: 1, group: 2)),
        ("depthwise 3x5 stride 1x3 dil 2x2, 25 out", Shape(2, 9, 77, 2, 3, 5, sh: 1, sw: 3, dh: 2, dw: 2, pt: 1, pl: 4, pb: 2, pr: 0, group: 2)),
        ("depthwise pads wider than the kernel (rows of pure padding)", Shape(2, 4, 9, 2, 3, 3, pt: 3, pl: 4, pb: 3, pr: 1, group: 2)),
        ("depthwise multiplier 2", Shape(4, 7, 7, 8, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 4)),
        ("pointwise", Shape(16, 7, 9, 11, 1, 1)),
        ("pointwise groups 2", Shape(8, 5, 5, 6, 1, 1, group: 2)),
        ("1x1 stride 2", Shape(5, 9, 9, 3, 1, 1, sh: 2, sw: 2)),
        ("kernel larger than input with pad", Shape(2, 3, 3, 3, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2)),
        ("7x7 pad1, 49 pixels, oc 10", Shape(16, 7, 7, 10, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("pointwise 6 pixels", Shape(3, 2, 3, 6, 1, 1)),
        ("14x14 pad1, 196 pixels", Shape(5, 14, 14, 8, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        // im2col panels of part of the image (Im2Col.PanelFloats): one output row per panel, several with a short last one.
        ("one-row panels, 3x3 pad 1, K 360 x 100 wide", Shape(40, 6, 100, 5, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("one-row panels, stride 2, K 576 x 65 wide", Shape(64, 5, 130, 6, 3, 3, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("3-row panels, short last panel", Shape(12, 20, 90, 7, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("6-row panels, stride 2, groups 2", Shape(24, 41, 90, 14, 3, 3, sh: 2, sw: 2, pt: 0, pl: 1, pb: 1, pr: 0, group: 2)),
        ("44 pixels: a 24-wide tile, then one shifted back over 4", Shape(5, 4, 11, 6, 1, 1)),
        ("20 pixels: two overlapping 16-wide tiles", Shape(5, 4, 5, 6, 1, 1)),
        ("1-row input, 3x3 pad1", Shape(4, 1, 5, 6, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        // Stride-2 im2col rows gathered by Im2Col.Gather: 15 outputs as two overlapping 8-wide steps (SqueezeNet's stem), the
        // last row of the last plane without the float past it (scalar tail), and exactly 8.
        ("stride 2 im2col, 32x32 -> 15x15 (two overlapping gathers per row)", Shape(3, 32, 32, 8, 3, 3, sh: 2, sw: 2)),
        ("stride 2 im2col, 31x31 -> 15x15 (the input's last float ends a gather)", Shape(3, 31, 31, 8, 3, 3, sh: 2, sw: 2)),
        ("stride 2 im2col, 17x17 -> 8x8", Shape(2, 17, 17, 5, 3, 3, sh: 2, sw: 2)),
        // The same with more than 32 output channels, which no hardware gives to ChannelVectorConv: Im2Col.Stride2Rows for
        // the rows whose taps are all inside (Gather for the last row when its last step would read past the tensor), and
        // Gather where a right pad leaves the last output column of a kw outside.
        ("stride 2 im2col rows, 32x32 -> 15x15, 40 channels", Shape(3, 32, 32, 40, 3, 3, sh: 2, sw: 2)),
        ("stride 2 im2col rows, 31x31 -> 15x15, 40 channels (the tensor's last row through Gather)", Shape(3, 31, 31, 40, 3, 3, sh: 2, sw: 2)),
        ("stride 2 im2col rows, 33x33 pad right 1 -> 16x16, 40 channels", Shape(2, 33, 33, 40, 3, 3, sh: 2, sw: 2, pb: 1, pr: 1)),
        ("1-column input, 3x3 pad1", Shape(4, 6, 1, 6, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        // Phase planes (PhaseConv, AVX2 without AVX-512): tiles of 24 and 16 inside one output row.
        ("phase planes: BlazeFace's 5x5 stride 2 stem, 64 wide (24 + 24 + 16)", Shape(3, 20, 128, 8, 5, 5, sh: 2, sw: 2, pt: 1, pl: 1, pb: 2, pr: 2)),
        ("phase planes: 5x5 stride 2, 20 wide (16 + shifted 16)", Shape(3, 11, 40, 24, 5, 5, sh: 2, sw: 2, pt: 1, pl: 1, pb: 2, pr: 2)),
        ("phase planes: stride 1x3 dilation 2, 16 wide", Shape(2, 10, 50, 6, 3, 3, sh: 1, sw: 3, dh: 2, dw: 2, pt: 1, pl: 2, pb: 1, pr: 0)),
        ("phase planes: 3x3 pad 1, 41 wide (24 + shifted 24), 5 channels", Shape(4, 5, 41, 5, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        ("phase planes: pads wider than the kernel, 2x2 stride 2", Shape(3, 4, 33, 10, 2, 2, sh: 2, sw: 2, pt: 2, pl: 3, pb: 3, pr: 2)),
        ("first layer 1 -> 6, 3x3 pad 1, 28 wide: shifted im2col across rows instead of phase planes (24 + 16 per row)", Shape(1, 5, 28, 6, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)),
        // Channel vectors (ChannelVectorConv, AVX2 without AVX-512): 6-pixel tiles across output rows, the last shifted back.
        ("channel vectors: mnist-8's 8 -> 16 5x5 pad 2 on 14x14", Shape(8, 14, 14, 16, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2)),
        ("channel vectors: 1 -> 8 5x5 pad 2, 9x13 (8-channel tiles)", Shape(1, 9, 13, 8, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2)),
        ("channel vectors: 3 -> 16 3x3 stride 2 dilation 2, asymmetric pads", Shape(3, 11, 12, 16, 3, 3, sh: 2, sw: 2, dh: 2, dw: 2, pt: 1, pl: 2, pb: 2, pr: 0)),
        ("channel vectors: 2 -> 8 2x3, 8 pixels", Shape(2, 3, 4, 8, 2, 3, pl: 1, pr: 1)),
        ("channel vectors: 2 -> 16 2x2, one 6-pixel tile", Shape(2, 3, 4, 16, 2, 2)),
        ("channel vectors: 1-D, 4 -> 16 kernel 5 pad 2 over 40", Shape(4, 1, 40, 16, 1, 5, pl: 2, pr: 2)),
        // Pointwise over 16x16 (p = 256, col rows in the same L1 sets): the panel copy, 3 channel blocks.
        ("pointwise 16x16, 12 channels", Shape(8, 16, 16, 12, 1, 1)),
        // The same with the copied panels of several whole tiles at a time (ConvGemm.GroupedColumns): six groups of 7
        // tiles and a 16-wide tail (1024 = 6 × 7 × 24 + 16), and one tile per group for a deep K. (A short last group:
        // the 16x16 case above, 8 + 2 tiles.)
        ("pointwise 32x32, 24 -> 28 channels (BlazeFace's block on 64x64 in small)", Shape(24, 32, 32, 28, 1, 1)),
        ("pointwise 8x8, K 200, 9 channels (one tile per group)", Shape(200, 8, 8, 9, 1, 1)),
        // Depthwise 3x3 straight into y (DepthwiseConv.Direct3x3, AVX2): row groups of 4 clamped at OH, shifted last columns.
        ("depthwise 3x3 stride 2 pad 1 (PyTorch), even width split into column phases, 6 x 16 out", Shape(3, 11, 32, 3, 3, 3, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, group: 3)),
        ("depthwise 3x3 stride 2 pad 1, odd width (gathered), 5 x 9 out", Shape(2, 9, 17, 2, 3, 3, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, group: 2)),
        ("depthwise 3x3 stride 1, 8 wide, 9 rows (4 + 4 + 1)", Shape(3, 9, 8, 3, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 3)),
        ("depthwise 3x3 stride 1 no pad, 7 wide out (virtual path)", Shape(2, 6, 9, 2, 3, 3, group: 2)),
        // Depthwise 5x5 stride 1 straight into y (DepthwiseConv.Direct5x5, AVX2): 16- or 8-wide column blocks, the last shifted
        // back; row groups of 4, the last shifted back to end at OH.
        ("depthwise 5x5 pad 2, 21 wide x 9 rows (16 + shifted 16; 4 + 4 + shifted 4)", Shape(3, 9, 21, 3, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2, group: 3)),
        ("depthwise 5x5 pad 2, 6 rows x 32 wide (PP-OCRv4's 480 x 6 x 80 in small)", Shape(4, 6, 32, 4, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2, group: 4)),
        ("depthwise 5x5 no pad, 11 wide x 4 rows out (8 + shifted 8)", Shape(2, 8, 15, 2, 5, 5, group: 2)),
        ("depthwise 5x5 asymmetric pads, 8 wide x 6 rows out", Shape(2, 7, 9, 2, 5, 5, pt: 1, pl: 3, pb: 2, pr: 0, group: 2)),
        ("depthwise 5x5 stride 2x1 pad 2, 12 x 80 -> 6 x 80 (PP-OCRv4's recogniser in small: 40 wide)", Shape(3, 12, 40, 3, 5, 5, sh: 2, pt: 2, pl: 2, pb: 2, pr: 2, group: 3)),
        ("depthwise 5x5 stride 2x1, odd height, asymmetric pads, 9 wide x 5 rows out", Shape(2, 11, 9, 2, 5, 5, sh: 2, pt: 1, pl: 2, pb: 2, pr: 2, group: 2)),
        // Depthwise by output row (DepthwiseConv.ByRow): only the kernel rows that read real input rows (PaddleOCR's 5x5 on 2-3 rows).
        ("depthwise 5x5 pad 2 over 2 rows: 10 of 25 taps per row", Shape(3, 2, 40, 3, 5, 5, pt: 2, pl: 2, pb: 2, pr: 2, group: 3)),
        ("depthwise 5x5 stride 2x1 pad 2 over 3 rows", Shape(4, 3, 37, 4, 5, 5, sh: 2, pt: 2, pl: 2, pb: 2, pr: 2, group: 4)),
        ("depthwise 5x5 dilation 2x1 pad 4 over 3 rows", Shape(2, 3, 20, 2, 5, 5, dh: 2, pt: 4, pl: 2, pb: 4, pr: 2, group: 2)),
        ("depthwise 3x3 with output rows of pure padding (bias only)", Shape(2, 2, 9, 2, 3, 3, pt: 4, pl: 1, pb: 4, pr: 1, group: 2)),
    ];

    public static TheoryData<int, WeightFormat, int, bool> Cases()
    {
        var data = new TheoryData<int, WeightFormat, int, bool>();
        foreach (int level in TestData.Levels)
        {
            foreach (WeightFormat f in Enum.GetValues<WeightFormat>())
            {
                for (int i = 0; i < Shapes.Length; i++)
                {
                    data.Add(level, f, i, true);
                    data.Add(level, f, i, false);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2D_MatchesFloat64Reference(int level, WeightFormat format, int shapeIndex, bool packed)
    {
        Conv2DShape s = Shapes[shapeIndex].Shape;
        const int batch = 2;
        var rng = new Random(shapeIndex + (100 * (int)format));
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, s.OC, s.C / s.Group * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[]? bias = shapeIndex % 3 == 0 ? null : TestData.Floats(rng, s.OC);
        bool relu = shapeIndex % 2 == 0;
        var y = new float[batch * s.OC * s.OH * s.OW];
        var scratch = new float[Kernels.Conv2DScratch(s)];

        Kernels.Conv2D((SimdLevel)level, x, w, bias, y, scratch, s, batch, relu ? Activation.Relu : Activation.None, packed);

        double[] expected = Reference.Conv(x, wd, bias, s, batch, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>
    /// <see cref="Im2Col.Gather"/> against its definition for 1–40 outputs, strides 1–3, with only the floats it needs and
    /// with more readable: the values must be the same either way, and a destination float past n is never written.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Gather_MatchesItsDefinition(int level)
    {
        var rng = new Random(3);
        for (int stride = 1; stride <= 3; stride++)
        {
            for (int n = 1; n <= 40; n++)
            {
                foreach (int extra in new[] { 0, 1, 5 })
                {
                    int need = ((n - 1) * stride) + 1;
                    float[] src = TestData.Floats(rng, need + extra);
                    var dst = new float[n + 3];
                    Array.Fill(dst, -7f);
                    Im2Col.Gather((SimdLevel)level, ref src[0], stride, ref dst[0], n, extra == 0 ? -1 : need + extra);
                    for (int j = 0; j < n; j++)
                    {
                        Assert.Equal(src[j * stride], dst[j]);
                    }

                    Assert.All(dst[n..], v => Assert.Equal(-7f, v));
                }
            }
        }
    }

    /// <summary>
    /// Pointwise convs whose col slices are copied and run in groups of tiles (p = 1024, a multiple of 32) give the bits of
    /// the path without copies (p = 1000): the same pixels of a 25 × 40 image, with and without a residual. The 256-bit
    /// GEMM's property, so skipped where AVX-512 tiles run (the suite's DOTNET_EnableAVX512=0 pass covers it).
    /// </summary>
    [SkippableTheory]
    [InlineData(24, 28, 0)]
    [InlineData(24, 28, 17)]
    [InlineData(8, 12, 12)]
    [InlineData(200, 9, 0)]
    [InlineData(3, 13, 5)]
    public void GroupedTiles_GiveTheBitsOfUncopiedTiles(int c, int oc, int residualChannels)
    {
        ConvPixelTailTests.SkipOnZmmTiles();
        var rng = new Random(c + oc + residualChannels);
        const int pBig = 1024, pSmall = 1000;
        var big = new Conv2DShape(c, 32, 32, oc, 32, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        var small = new Conv2DShape(c, 25, 40, oc, 25, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Float32, oc, c);
        float[] x = TestData.Floats(rng, c * pBig);
        float[] r = TestData.Floats(rng, Math.Max(1, residualChannels * pBig));
        float[] bias = TestData.Floats(rng, oc);
        float[] xs = FirstPixels(x, c, pBig, pSmall), rs = residualChannels > 0 ? FirstPixels(r, residualChannels, pBig, pSmall) : [1];
        var y = new float[oc * pBig];
        var ys = new float[oc * pSmall];

        Kernels.Conv2D(SimdLevel.Vector256, x, w, bias, y, [], big, 1, Activation.Relu, r, residualChannels);
        Kernels.Conv2D(SimdLevel.Vector256, xs, w, bias, ys, [], small, 1, Activation.Relu, rs, residualChannels);

        Assert.Equal(ys, FirstPixels(y, oc, pBig, pSmall));
    }

    private static float[] FirstPixels(float[] planes, int count, int p, int q)
    {
        var first = new float[count * q];
        for (int i = 0; i < count; i++)
        {
            Array.Copy(planes, i * p, first, i * q, q);
        }

        return first;
    }

    [Fact]
    public void Conv2D_PublicEntry_ChecksScratchAndWeights()
    {
        Conv2DShape s = Shape(3, 9, 11, 5, 3, 3);
        (WeightMatrix w, _) = TestData.Matrix(new Random(3), WeightFormat.Int8, 5, 27);
        int scratch = Kernels.Conv2DScratch(s);
        Assert.Equal(27 * s.OH * s.OW, scratch);
        Assert.Equal((360 + 5) * 100, Kernels.Conv2DScratch(Shape(40, 6, 100, 5, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1)));
        var ex = Assert.Throws<ArgumentException>(() =>
            Kernels.Conv2D(new float[3 * 9 * 11], w, [], new float[5 * s.OH * s.OW], new float[scratch - 1], s, 1, Activation.None));
        Assert.Contains(scratch.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        (WeightMatrix wrong, _) = TestData.Matrix(new Random(3), WeightFormat.Int8, 5, 26);
        Assert.Throws<ArgumentException>(() =>
            Kernels.Conv2D(new float[3 * 9 * 11], wrong, [], new float[5 * s.OH * s.OW], new float[scratch], s, 1, Activation.None));
    }

    [Fact]
    public void Conv2DScratch_FastPathsNeedLittleOrNoScratch()
    {
        Assert.Equal(0, Kernels.Conv2DScratch(Shape(16, 7, 9, 11, 1, 1)));

        // Depthwise: the 9 taps, one input plane padded to 12 × 12, 10 × 12 virtual outputs rounded up to 128, and
        // the plane's tail of 128 − 120 + 12 zeros that the last tap's last block reads; a block (32) more of each
        // for the row-by-row pass, whose last row's block reads and writes past the whole plane's.
        Assert.Equal(9 + (12 * 12) + 128 + 32 + (128 - 120 + 12 + 32), Kernels.Conv2DScratch(Shape(8, 10, 10, 8, 3, 3, pt: 1, pl: 1, pb: 1, pr: 1, group: 8)));
    }
}
