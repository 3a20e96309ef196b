namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="ChannelVectorConv"/> (few output channels, vectorised over channels): an image gives the same bits alone,
/// in a batch, in a batch split over threads and with its pixel tiles split over threads, and the path is taken for mnist-8's convs where the hardware allows it (its
/// values against the float64 reference are checked by <see cref="ConvTests"/> and <see cref="ConvResidualTests"/>).
/// </summary>
public sealed class ChannelVectorConvTests
{
    private static Conv2DShape Shape(int c, int hw, int oc, int k, int pad) =>
        new(c, hw, hw, oc, hw + (2 * pad) - k + 1, hw + (2 * pad) - k + 1, k, k, 1, 1, 1, 1, pad, pad, pad, pad, 1);

    [Theory]
    [InlineData(8, 14, 16, 5, 2)]
    [InlineData(1, 28, 8, 5, 2)]
    [InlineData(3, 10, 16, 3, 0)]
    public void Image_GivesTheSameBits_AloneInABatchAndOnTwoThreads(int c, int hw, int oc, int k, int pad)
    {
        Conv2DShape s = Shape(c, hw, oc, k, pad);
        const int batch = 5;
        var rng = new Random(c + hw + oc);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        int per = s.OC * s.OH * s.OW;
        var scratch = new float[Kernels.Conv2DScratch(s)];
        var all = new float[batch * per];
        var threaded = new float[batch * per];
        Kernels.Conv2D(x, w, bias, all, scratch, s, batch, Activation.Relu, threads: 1);
        Kernels.Conv2D(x, w, bias, threaded, scratch, s, batch, Activation.Relu, threads: 2);
        Assert.Equal(all, threaded);
        for (int n = 0; n < batch; n++)
        {
            var alone = new float[per];
            Kernels.Conv2D(x.AsSpan(n * s.C * s.H * s.W, s.C * s.H * s.W), w, bias, alone, scratch, s, 1, Activation.Relu);
            Assert.Equal(all.AsSpan(n * per, per).ToArray(), alone);

            // One image over two threads splits its pixel tiles.
            var split = new float[per];
            Kernels.Conv2D(x.AsSpan(n * s.C * s.H * s.W, s.C * s.H * s.W), w, bias, split, scratch, s, 1, Activation.Relu, threads: 2);
            Assert.Equal(alone, split);
        }

        Assert.Contains(all, v => v != 0);
    }

    [Fact]
    public void Applies_ToMnist8sConvs_OnlyOnAvx2WithoutAvx512()
    {
        bool hardware = System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        Assert.Equal(hardware, ChannelVectorConv.Applies(SimdLevel.Vector256, Shape(8, 14, 16, 5, 2)));
        Assert.Equal(hardware, ChannelVectorConv.Applies(SimdLevel.Vector256, Shape(1, 28, 8, 5, 2)));
        Assert.False(ChannelVectorConv.Applies(SimdLevel.Vector128, Shape(8, 14, 16, 5, 2)));

        // 32 channels, or planes and outputs past 64 KB: the im2col / phase-plane paths measured faster.
        Assert.False(ChannelVectorConv.Applies(SimdLevel.Vector256, Shape(1, 28, 32, 3, 1)));
        Assert.False(ChannelVectorConv.Applies(SimdLevel.Vector256, Shape(3, 128, 16, 3, 1)));
    }
}
