namespace ModelBuild.Runtime.Tests;

/// <summary>
/// 3×3 stride-1 convs through <see cref="WinogradConv"/> (F(4×4, 3×3)) against the float64 direct convolution, with
/// partial tiles on both edges, OC not a multiple of 4, several tile-row chunks and asymmetric pads; one image of a batch
/// gives the same bits alone, and a thread split gives the same bits as one thread.
/// </summary>
public sealed class WinogradConvTests
{
    private static Conv2DShape Shape(int c, int h, int w, int oc, int pt, int pl, int pb, int pr) =>
        new(c, h, w, oc, h + pt + pb - 2, w + pl + pr - 2, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, 1);

    private static readonly Conv2DShape[] Shapes =
    [
        Shape(32, 14, 14, 64, 1, 1, 1, 1),   // mnist_cnn_fc128's conv2: 4×4 tiles, one chunk
        Shape(16, 15, 23, 18, 0, 0, 0, 0),   // 13×21 out: partial tile rows and columns, 6 tile columns padded to 8, OC 18
        Shape(64, 9, 70, 20, 1, 0, 2, 1),    // 10×69 out, asymmetric pads: 20 tile columns, chunks of 2 tile rows + 1
        Shape(16, 8, 8, 16, 1, 1, 1, 1),     // the smallest output it takes (8×8)
    ];

    public static TheoryData<int, WeightFormat, int> Cases()
    {
        var data = new TheoryData<int, WeightFormat, int>();
        foreach (int level in new[] { 1, 2 })
        {
            foreach (WeightFormat f in new[] { WeightFormat.Float32, WeightFormat.Int8, WeightFormat.Int8Asymmetric })
            {
                for (int i = 0; i < Shapes.Length; i++)
                {
                    data.Add(level, f, i);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Winograd_MatchesFloat64Reference(int level, WeightFormat format, int shapeIndex)
    {
        Conv2DShape s = Shapes[shapeIndex];
        const int batch = 2;
        var rng = new Random((shapeIndex * 10) + (int)format);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, s.OC, s.C * 9);
        Assert.True(WinogradConv.Applies((SimdLevel)level, s, w));
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[]? bias = shapeIndex % 2 == 0 ? TestData.Floats(rng, s.OC) : null;
        bool relu = shapeIndex != 1;
        var y = new float[batch * s.OC * s.OH * s.OW];

        // The scratch starts as NaN: a read of anything the kernel did not write first would show in every output.
        float[] scratch = new float[Kernels.Conv2DScratch(s)];
        scratch.AsSpan().Fill(float.NaN);
        Kernels.Conv2D((SimdLevel)level, x, w, bias, y, scratch, s, batch, relu ? Activation.Relu : Activation.None);

        // The same Σ|x·w|-relative bound as the direct path: the transforms' rounding (coefficients ≤ 8) stays far below it.
        double[] expected = Reference.Conv(x, wd, bias, s, batch, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    [Theory]
    [InlineData(0, 5, 2)]
    [InlineData(2, 3, 3)]
    public void Winograd_SameBitsAloneInABatchAndOnThreads(int shapeIndex, int batch, int threads)
    {
        Conv2DShape s = Shapes[shapeIndex];
        var rng = new Random(shapeIndex + batch);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * 9);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        int per = s.OC * s.OH * s.OW;
        var one = new float[batch * per];
        var many = new float[one.Length];
        var last = new float[per];
        var scratch = new float[Kernels.Conv2DScratch(s)];

        Kernels.Conv2D(x, w, bias, one, scratch, s, batch, Activation.None, threads: 1);
        Kernels.Conv2D(x, w, bias, many, scratch, s, batch, Activation.None, threads);
        Kernels.Conv2D(x.AsSpan((batch - 1) * s.C * s.H * s.W), w, bias, last, scratch, s, 1, Activation.None, threads: 1);

        Assert.Equal(one, many);
        Assert.Equal(one.AsSpan((batch - 1) * per).ToArray(), last);
        Assert.Contains(one, v => v != 0);
    }

    /// <summary>
    /// The operator's scratch (<see cref="Kernels.Conv2DScratch"/>, which covers <see cref="WinogradConv.Scratch"/> at
    /// both vector widths) and the per-thread buffer the kernel falls back to give the same bits.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public void Winograd_CallersScratchAndOwnBufferGiveTheSameBits(int shapeIndex, int level)
    {
        Conv2DShape s = Shapes[shapeIndex];
        Assert.True(Kernels.Conv2DScratch(s) >= WinogradConv.Scratch(s));
        var rng = new Random(shapeIndex + (10 * level));
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * 9);
        float[] x = TestData.Floats(rng, 2 * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var own = new float[2 * s.OC * s.OH * s.OW];
        var given = new float[own.Length];
        float[] scratch = new float[WinogradConv.Scratch(s)];
        scratch.AsSpan().Fill(float.NaN);

        WinogradConv.Run((SimdLevel)level, x, w, bias, own, default, s, 2, Activation.Relu);
        WinogradConv.Run((SimdLevel)level, x, w, bias, given, scratch, s, 2, Activation.Relu);

        Assert.Equal(own, given);
        Assert.Contains(given, v => v > 0);
        Assert.DoesNotContain(given, float.IsNaN);
    }

    [Fact]
    public void Winograd_LeavesOtherShapesAndTheScalarLevelToTheDirectPath()
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, 64, 32 * 9);
        Assert.False(WinogradConv.Applies(SimdLevel.Scalar, Shapes[0], w));
        Assert.False(WinogradConv.Applies(SimdLevel.Vector256, Shape(32, 7, 7, 64, 1, 1, 1, 1), w));
        Assert.False(WinogradConv.Applies(SimdLevel.Vector256, Shapes[0] with { SH = 2, SW = 2, OH = 7, OW = 7 }, w));
        Assert.False(WinogradConv.Applies(SimdLevel.Vector256, Shapes[0] with { Group = 2 }, w));
    }
}
