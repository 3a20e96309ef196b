using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Opt-in threads at batch 1 (<see cref="ConvImageParallel"/>, <see cref="BlockedWinograd.RunSplit"/>,
/// <see cref="DenseGemvParallel"/>): one image's conv split by output-channel blocks and a GEMV split by weight-row blocks
/// give one thread's bits, for every conv path that splits (pointwise, im2col split by pixels within and across panels,
/// phase planes, Winograd) and channel counts that leave partial blocks; a program of such layers allocates nothing.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class SplitImageTests : IDisposable
{
    // Splits run here even when the machine leaves the helpers no core (the gate would then keep them inline).
    public SplitImageTests()
    {
        IntraOp.IgnoreSplitGate = true;
        ConvImageParallel.Im2ColMinimum = false; // the shapes below are small on purpose: every split path must run
    }

    public void Dispose() => ConvImageParallel.Im2ColMinimum = true;

    private static Conv2DShape Shape(int c, int h, int w, int oc, int k, int stride, int pad)
    {
        int oh = ((h + (2 * pad) - k) / stride) + 1, ow = ((w + (2 * pad) - k) / stride) + 1;
        return new Conv2DShape(c, h, w, oc, oh, ow, k, k, stride, stride, 1, 1, pad, pad, pad, pad, 1);
    }

    private static readonly Conv2DShape[] Shapes =
    [
        Shape(32, 7, 7, 128, 1, 1, 0),    // pointwise (squeezenet's expand 1×1)
        Shape(8, 14, 14, 16, 5, 1, 2),    // mnist-8's conv2: 2 panels (154 + 42 pixels), cut 96 pixels into the first
        Shape(1, 28, 28, 30, 3, 1, 1),    // 30 channels over K = 9 (split by channels): a partial last block
        Shape(3, 32, 32, 64, 3, 2, 0),    // stride 2 (squeezenet's conv1)
        Shape(16, 40, 40, 24, 3, 1, 1),   // phase planes on AVX2 (split by channels)
        Shape(32, 14, 14, 64, 3, 1, 1),   // BlockedWinograd (mnist_cnn_fc128's conv2)
        Shape(32, 7, 7, 128, 3, 1, 1),    // BlockedWinograd on 7×7 (squeezenet's fire 3×3)
        Shape(20, 11, 9, 36, 3, 1, 1),    // BlockedWinograd, partial channel blocks in and out
        Shape(24, 20, 20, 16, 3, 1, 1),   // im2col in 3 panels of 140 pixels: the pixel cut falls inside the second
        Shape(16, 8, 8, 16, 3, 1, 1),     // BlockedWinograd with one thread, where ChannelVectorConv also fits on AVX2
        Shape(16, 18, 18, 16, 3, 1, 1),   // WinogradConv with one thread, where ChannelVectorConv also fits on AVX2
        Shape(48, 8, 9, 70, 1, 1, 0),     // pointwise in integers (FixedPointConv on AVX2): 12 6-channel blocks, a partial one
    ];

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(4, 4)]
    [InlineData(5, 2)]
    [InlineData(6, 3)]
    [InlineData(7, 2)]
    [InlineData(8, 2)]
    [InlineData(8, 3)]
    [InlineData(9, 2)]
    [InlineData(10, 2)]
    [InlineData(11, 2)]
    [InlineData(11, 3)]
    public void OneImage_AnyThreadCount_GivesTheSameBits(int shapeIndex, int threads)
    {
        Conv2DShape s = Shapes[shapeIndex];
        var rng = new Random(shapeIndex + 40);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        var one = new float[s.OC * s.OH * s.OW];
        var many = new float[one.Length];
        var scratch = new float[Kernels.Conv2DScratch(s)];
        Assert.True(IntraOp.SplitParts(threads, 2.0 * s.OC * s.OH * s.OW * s.C * s.KH * s.KW, s.OC / ConvGemm.Mr) > 1
            && (!ConvImageParallel.Im2ColMinimum || !ConvImageParallel.Im2ColTooSmallToSplit(s)), "the conv must be split for this test to mean anything");

        Kernels.Conv2D(x, w, bias, one, scratch, s, 1, Activation.Relu, threads: 1);
        for (int i = 0; i < 3; i++)
        {
            Array.Fill(many, float.NaN);
            Kernels.Conv2D(x, w, bias, many, scratch, s, 1, Activation.Relu, threads);
            Assert.Equal(one, many);
        }

        Assert.Contains(one, v => v > 0);
    }

    [Theory]
    [InlineData(1, 256, 784, 2, WeightFormat.Int8)]
    [InlineData(1, 130, 3136, 3, WeightFormat.Int8)]
    [InlineData(2, 127, 1000, 2, WeightFormat.Float32)]
    [InlineData(3, 66, 1200, 4, WeightFormat.Int8Asymmetric)]
    [InlineData(5, 64, 1024, 2, WeightFormat.Float32)]
    public void Gemv_AnyThreadCount_GivesTheSameBits(int rows, int n, int k, int threads, WeightFormat format)
    {
        var rng = new Random(rows + n + k);
        (WeightMatrix w, _) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        var one = new float[rows * n];
        var many = new float[rows * n];
        Assert.True(IntraOp.SplitParts(threads, 2.0 * rows * n * k, n / 4) > 1, "the layer must be split for this test to mean anything");

        Kernels.Dense(Simd.Best, x, w, bias, one, rows, Activation.Relu, threads: 1);
        Kernels.Dense(Simd.Best, x, w, bias, many, rows, Activation.Relu, threads);

        Assert.Equal(one, many);
        Assert.Contains(one, v => v > 0);
        SteadyState.AssertAllocatesNothing(() => Kernels.Dense(Simd.Best, x, w, bias, many, rows, Activation.Relu, threads), "a split GEMV");
    }

    [Theory]
    [InlineData(1, 28, 32, 3, 1, 1, true)]    // mnist_cnn_fc128's first conv (452 kFLOP): slower split in two
    [InlineData(3, 32, 64, 3, 2, 0, true)]    // squeezenet_cifar10's first conv (778 kFLOP): slower split in two
    [InlineData(24, 20, 16, 3, 1, 1, false)]  // 2.8 MFLOP
    [InlineData(16, 7, 64, 1, 1, 0, false)]   // pointwise (no im2col fill): IntraOp.MinFlopsPerSplitPart alone decides
    public void Im2ColTooSmallToSplit_UnderTwoMegaflops_NotPointwise(int c, int h, int oc, int k, int stride, int pad, bool tooSmall) =>
        Assert.Equal(tooSmall, ConvImageParallel.Im2ColTooSmallToSplit(Shape(c, h, h, oc, k, stride, pad)));

    /// <summary>With the minimum on (the default), squeezenet_cifar10's first conv is not split: Run leaves it to one thread.</summary>
    [Fact]
    public void SmallIm2ColConv_IsNotSplit_WithTheMinimumOn()
    {
        Conv2DShape s = Shapes[3];
        var rng = new Random(3);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, s.OC, s.C * s.KH * s.KW);
        float[] x = TestData.Floats(rng, s.C * s.H * s.W), bias = TestData.Floats(rng, s.OC), y = new float[s.OC * s.OH * s.OW];
        ConvImageParallel.Im2ColMinimum = true;
        Assert.False(ConvImageParallel.Run(Simd.Best, x, w, bias, y, s, Activation.Relu, threads: 2));
        ConvImageParallel.Im2ColMinimum = false;
        Assert.Equal(Simd.Best != SimdLevel.Scalar, ConvImageParallel.Run(Simd.Best, x, w, bias, y, s, Activation.Relu, threads: 2));
    }

    [Theory]
    [InlineData(1, 1e12, 100, 1)] // one thread: inline
    [InlineData(2, 1e12, 1, 1)] // one unit: inline
    [InlineData(2, 1e12, 100, 2)] // one part per thread
    [InlineData(4, 3.5 * IntraOp.MinFlopsPerSplitPart, 100, 3)] // capped by the work
    [InlineData(2, 1.9 * IntraOp.MinFlopsPerSplitPart, 100, 1)] // under two parts' worth: inline
    public void SplitParts_FollowThreadsWorkAndUnits(int threads, double flops, int units, int expected) =>
        Assert.Equal(expected, IntraOp.SplitParts(threads, flops, units));

    [Fact]
    public void SplitGate_ProbesOnly_AfterRegionsWithoutHelpers_AndReopensWhenOneHelps()
    {
        var gate = default(SplitGate);
        for (int i = 0; i < SplitGate.MaxIdleRegions; i++)
        {
            Assert.True(gate.Allows());
            gate.Record(helped: false);
        }

        int allowed = 0;
        for (int i = 0; i < 10 * SplitGate.ProbeEvery; i++)
        {
            allowed += gate.Allows() ? 1 : 0;
        }

        Assert.Equal(10, allowed);
        gate.Record(helped: true);
        Assert.True(gate.Allows());
        Assert.True(gate.Allows());
    }

    [Fact]
    public void TwoThreads_BatchOne_SameBitsAsOne_AndNoAllocation()
    {
        var rng = new Random(15);
        var h = new OpHarness();
        int x = h.Floats(TestData.Floats(rng, 32 * 14 * 14), 1, 32, 14, 14);
        int a = h.Output(), b = h.Output(), c = h.Output();
        int w1 = h.BlobFloats(TestData.Floats(rng, 64 * 32 * 9, -0.1f, 0.1f), 64, 32 * 9);
        int b1 = h.BlobFloats(TestData.Floats(rng, 64));
        int w2 = h.BlobFloats(TestData.Floats(rng, 32 * 64, -0.1f, 0.1f), 32, 64);
        int w3 = h.BlobFloats(TestData.Floats(rng, 16 * 32 * 25, -0.05f, 0.05f), 16, 32 * 25);
        int[] k3 = [3, 3], k1 = [1, 1], k5 = [5, 5], ones = [1, 1];
        (ModelProgram program, OpContext context) = h.Prepare(
            new ConvOp(x, a, w1, b1, k3, ones, ones, [1, 1, 1, 1], "NOTSET", 1, Activation.Relu),
            new ConvOp(a, b, w2, -1, k1, ones, ones, [0, 0, 0, 0], "NOTSET", 1, Activation.Relu),
            new ConvOp(b, c, w3, -1, k5, ones, ones, [2, 2, 2, 2], "NOTSET", 1, Activation.None));

        program.Run(context);
        float[] one = context.Floats(c).ToArray();

        program.IntraOpThreads = 2;
        for (int i = 0; i < 20; i++)
        {
            program.Run(context);
            Assert.Equal(one, context.Floats(c).ToArray());
        }

        SteadyState.AssertAllocatesNothing(() => program.Run(context), "a 2-thread batch-1 program run");
    }
}
