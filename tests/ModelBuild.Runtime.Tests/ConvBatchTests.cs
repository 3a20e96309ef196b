namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Conv over a batch of small images as one GEMM (<see cref="ConvBatch"/>: several images' im2col panels side by
/// side) against the float64 reference at every SIMD level, with batches that fill several panels and leave a
/// partial last one, and its thread split (<see cref="ConvParallel"/>) against one thread, bit for bit.
/// </summary>
public sealed class ConvBatchTests
{
    private static Conv2DShape Shape(int c, int h, int w, int oc, int k, int stride, int pad)
    {
        int oh = ((h + (2 * pad) - k) / stride) + 1, ow = ((w + (2 * pad) - k) / stride) + 1;
        return new Conv2DShape(c, h, w, oc, oh, ow, k, k, stride, stride, 1, 1, pad, pad, pad, pad, 1);
    }

    private static readonly Conv2DShape[] Shapes =
    [
        Shape(16, 3, 3, 24, 3, 1, 1),   // 9 pixels, K 144: 25 images per panel
        Shape(32, 3, 3, 10, 1, 1, 0),   // pointwise 9 pixels: 113 images per panel
        Shape(3, 9, 7, 5, 3, 2, 0),     // stride 2, 12 pixels, odd channels
        Shape(5, 1, 1, 7, 1, 1, 0),     // 1 pixel per image
        Shape(64, 6, 7, 9, 3, 1, 1),    // 42 pixels, K 576: one image per panel
    ];

    public static TheoryData<int, WeightFormat, int, int> Cases()
    {
        var data = new TheoryData<int, WeightFormat, int, int>();
        foreach (int level in TestData.Levels)
        {
            foreach (WeightFormat f in new[] { WeightFormat.Float32, WeightFormat.Int8Asymmetric })
            {
                for (int i = 0; i < Shapes.Length; i++)
                {
                    data.Add(level, f, i, 5);
                    data.Add(level, f, i, 37);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BatchedConv_MatchesFloat64Reference(int level, WeightFormat format, int shapeIndex, int batch)
    {
        Conv2DShape s = Shapes[shapeIndex];
        var rng = new Random((shapeIndex * 100) + batch);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var y = new float[batch * s.OC * s.OH * s.OW];

        Kernels.Conv2D((SimdLevel)level, x, w, bias, y, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.Relu);

        double[] expected = Reference.Conv(x, wd, bias, s, batch, true, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    [Theory]
    [InlineData(0, 64, 2)]
    [InlineData(1, 37, 3)]
    [InlineData(3, 9, 2)]
    [InlineData(4, 7, 4)]
    public void BatchedConv_AnyThreadCount_GivesTheSameBits(int shapeIndex, int batch, int threads)
    {
        Conv2DShape s = Shapes[shapeIndex];
        var rng = new Random(shapeIndex + batch);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var one = new float[batch * s.OC * s.OH * s.OW];
        var many = new float[one.Length];
        var scratch = new float[Kernels.Conv2DScratch(s)];

        Kernels.Conv2D(x, w, bias, one, scratch, s, batch, Activation.None, threads: 1);
        Kernels.Conv2D(x, w, bias, many, scratch, s, batch, Activation.None, threads);

        Assert.Equal(one, many);
        Assert.Contains(one, v => v != 0);
    }
}
