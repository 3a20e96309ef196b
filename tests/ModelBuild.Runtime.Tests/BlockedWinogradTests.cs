namespace ModelBuild.Runtime.Tests;

/// <summary>
/// 3×3 stride-1 convs on small images through <see cref="BlockedWinograd"/> (transforms vectorised across channels),
/// F(2×2) and F(4×4) at both SIMD levels, against the float64 direct convolution: 7×7 and 14×14 as in the shared models,
/// channel counts that are not multiples of 8 (a partial channel block in and out), odd output sizes (partial tiles and
/// strips), asymmetric pads and outputs narrower than a vector. One image gives the same bits alone, in a batch (chunks of
/// several images) and on threads.
/// </summary>
public sealed class BlockedWinogradTests
{
    private static Conv2DShape Shape(int c, int h, int w, int oc, int pt, int pl, int pb, int pr) =>
        new(c, h, w, oc, h + pt + pb - 2, w + pl + pr - 2, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, 1);

    private static readonly Conv2DShape[] Shapes =
    [
        Shape(32, 14, 14, 64, 1, 1, 1, 1),   // mnist_cnn_fc128's conv2
        Shape(32, 7, 7, 128, 1, 1, 1, 1),    // squeezenet_cifar10's fire 3×3 on 7×7
        Shape(16, 7, 7, 64, 1, 1, 1, 1),     // and its 16 → 64
        Shape(20, 11, 9, 36, 0, 2, 1, 0),    // 10×9 out, C and OC not multiples of 8, asymmetric pads
        Shape(17, 6, 6, 19, 0, 0, 0, 0),     // 4×4 out (narrower than a vector), 17 → 19 channels
        Shape(64, 40, 13, 24, 1, 1, 1, 1),   // 40×13 out: tall (still one chunk; BlockedWinogradChunkTests forces chunks of tile rows)
        Shape(24, 9, 9, 80, 1, 1, 1, 1),     // 80 channels: on AVX-512, 32-channel GEMM panels padded to 96
    ];

    public static TheoryData<int, int, WeightFormat, int> Cases()
    {
        var data = new TheoryData<int, int, WeightFormat, int>();
        foreach (int level in new[] { 1, 2 })
        {
            foreach (int tile in new[] { 2, 4 })
            {
                for (int i = 0; i < Shapes.Length; i++)
                {
                    data.Add(level, tile, i % 2 == 0 ? WeightFormat.Float32 : WeightFormat.Int8, i);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BlockedWinograd_MatchesFloat64Reference(int level, int tile, WeightFormat format, int shapeIndex)
    {
        Conv2DShape s = Shapes[shapeIndex];
        const int batch = 3;
        var rng = new Random((shapeIndex * 10) + tile);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, s.OC, s.C * 9);
        Assert.True(BlockedWinograd.Applies((SimdLevel)level, s, w));
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[]? bias = shapeIndex % 3 == 2 ? null : TestData.Floats(rng, s.OC);
        bool relu = shapeIndex % 2 == 0;
        var y = new float[batch * s.OC * s.OH * s.OW];

        BlockedWinograd.Run((SimdLevel)level, x, w, bias, y, s, batch, relu ? Activation.Relu : Activation.None, tile);

        double[] expected = Reference.Conv(x, wd, bias, s, batch, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Winograd, 1e-7, magnitude);
    }

    [Theory]
    [InlineData(0, 2, 5, 2)]
    [InlineData(1, 4, 7, 2)]
    [InlineData(5, 4, 3, 3)]
    public void BlockedWinograd_SameBitsAloneInABatchAndOnThreads(int shapeIndex, int tile, int batch, int threads)
    {
        Conv2DShape s = Shapes[shapeIndex];
        var rng = new Random(shapeIndex + batch);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * 9);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        int per = s.OC * s.OH * s.OW, inPer = s.C * s.H * s.W;
        var whole = new float[batch * per];
        var alone = new float[batch * per];
        var many = new float[batch * per];

        // The machine's best vector level (128-bit under DOTNET_EnableAVX2=0); with no vectors at all only the kernel
        // entry point is compared (it then takes the direct path).
        SimdLevel level = Simd.Best == SimdLevel.Scalar ? SimdLevel.Vector128 : Simd.Best;
        BlockedWinograd.Run(level, x, w, bias, whole, s, batch, Activation.Relu, tile);
        for (int n = 0; n < batch; n++)
        {
            BlockedWinograd.Run(level, x.AsSpan(n * inPer, inPer), w, bias, alone.AsSpan(n * per, per), s, 1, Activation.Relu, tile);
        }

        Kernels.Conv2D(x, w, bias, many, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.Relu, threads);
        var viaKernels = new float[batch * per];
        Kernels.Conv2D(x, w, bias, viaKernels, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.Relu, threads: 1);

        Assert.Equal(whole, alone);
        Assert.Equal(viaKernels, many);
        Assert.Contains(whole, v => v != 0);
    }

    /// <summary>
    /// Output widths 4–16 (one and two strips of 8 pixels, partial last strips of 1–7), into images spaced further apart
    /// than their outputs (as a conv writing its channels of a concat): every output matches the float64 reference and
    /// no float between the images changes. A row's partial strip is stored whole and spills into the next row, which
    /// must be written after it; an image's last row must not spill into the gap.
    /// </summary>
    [Theory]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 2)]
    [InlineData(2, 4)]
    public void BlockedWinograd_PartialRowsStayInsideTheirOutputs(int level, int tile)
    {
        foreach (int ow in new[] { 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16 })
        {
            foreach ((int oh, int oc) in new[] { (4, 16), (7, 24), (5, 20) })
            {
                RunSpacedImages((SimdLevel)level, tile, Shape(16, oh, ow, oc, 1, 1, 1, 1), new Random((ow * 100) + oh + tile));
            }
        }
    }

    /// <summary>Gap between the spaced images of <see cref="RunSpacedImages"/>, in floats.</summary>
    internal const int Gap = 37;

    /// <summary>
    /// Two images of <paramref name="s"/> through <see cref="BlockedWinograd"/> into outputs <see cref="Gap"/> floats apart
    /// (a buffer of sentinels): each image's outputs must match the float64 reference and the gaps must be untouched.
    /// Returns the buffer (image n's outputs from n·(OC·OH·OW + Gap)).
    /// </summary>
    internal static float[] RunSpacedImages(SimdLevel level, int tile, Conv2DShape s, Random rng)
    {
        const int batch = 2;
        const float sentinel = 12345.5f;
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, s.OC, s.C * 9);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        int per = s.OC * s.OH * s.OW, yImage = per + Gap;
        var y = new float[(batch * yImage) + Gap];
        Array.Fill(y, sentinel);

        BlockedWinograd.Run(level, x, w, bias, y, s, batch, Activation.None, tile, yImage);

        double[] expected = Reference.Conv(x, wd, bias, s, batch, relu: false, out double[] magnitude);
        for (int n = 0; n < batch; n++)
        {
            TestData.AssertClose(expected.AsSpan(n * per, per).ToArray(), y.AsSpan(n * yImage, per), Tolerances.Winograd, 1e-7, magnitude.AsSpan(n * per, per).ToArray());
            Assert.All(y.AsSpan((n * yImage) + per, Gap).ToArray(), v => Assert.Equal(sentinel, v));
        }

        return y;
    }

    [Fact]
    public void BlockedWinograd_TakesSmallImagesOnly()
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, 64, 32 * 9);
        Assert.True(BlockedWinograd.Applies(SimdLevel.Vector256, Shapes[0], w));
        Assert.False(BlockedWinograd.Applies(SimdLevel.Scalar, Shapes[0], w));
        Assert.False(BlockedWinograd.Applies(SimdLevel.Vector256, Shape(32, 30, 30, 64, 1, 1, 1, 1), w));
        Assert.False(BlockedWinograd.Applies(SimdLevel.Vector256, Shapes[0] with { SH = 2, SW = 2, OH = 7, OW = 7 }, w));
        Assert.False(BlockedWinograd.Applies(SimdLevel.Vector256, Shapes[0] with { Group = 2 }, w));
        (WeightMatrix narrow, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, 64, 8 * 9);
        Assert.False(BlockedWinograd.Applies(SimdLevel.Vector256, Shapes[0] with { C = 8 }, narrow));
    }
}
