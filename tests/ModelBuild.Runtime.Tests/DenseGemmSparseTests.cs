namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The GEMM's sparse-row kernel (<c>DenseGemm.SparseRows.cs</c>): on inputs that are mostly exact zeros (ReLU outputs)
/// it gives the register tiles' bits, so a row's result depends neither on the path nor on the other rows; and both
/// match the float64 reference. Covers float and int8 panels, several K blocks and 128-k steps, a tail of rows past a
/// 64-row chunk, panels left over after the groups of 64 channels, channels that are not whole panels (the
/// accumulator pass), bias/ReLU/none, and two threads (split by rows over a sparse x, and by panels over a dense x
/// with one sparse K block).
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class DenseGemmSparseTests
{
    [Theory]
    [InlineData(64, 128, 256, WeightFormat.Float32, true, true, 1)]
    [InlineData(64, 256, 256, WeightFormat.Float32, true, true, 2)] // split by rows: a panel split would leave parts of 32 channels to the tiles
    [InlineData(64, 200, 256, WeightFormat.Float32, true, true, 2)] // split by rows, 200 channels: the accumulator pass per row range (review)
    [InlineData(70, 256, 784, WeightFormat.Int8, true, true, 1)]
    [InlineData(13, 80, 300, WeightFormat.Float32, false, false, 1)]
    [InlineData(9, 100, 130, WeightFormat.Float32, true, false, 1)]
    [InlineData(20, 320, 900, WeightFormat.Int8, false, true, 1)]
    [InlineData(33, 512, 600, WeightFormat.Int8, true, true, 2)]
    [InlineData(64, 1024, 1024, WeightFormat.Int8, true, true, 1)]
    [InlineData(16, 64, 100, WeightFormat.Float32, true, true, 1)]
    [InlineData(130, 576, 1100, WeightFormat.Int8, true, false, 2)]
    public void SparseRows_GiveTheTilesBits_AndMatchFloat64Reference(int rows, int n, int k, WeightFormat format, bool hasBias, bool relu, int threads)
    {
        var rng = new Random(rows + n + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, n, k);
        float[] x = SparseInput(rng, rows, k, density: 0.25);
        if (rows > 100)
        {
            // A NaN and an infinity among the nonzeros: both paths multiply them (found in review: untested before).
            x[5] = float.NaN;
            x[(3 * k) + 7] = float.PositiveInfinity;
        }

        float[] bias = hasBias ? TestData.Floats(rng, n) : [];
        var act = relu ? Activation.Relu : Activation.None;
        var sparse = new float[(rows * n) + 19];
        var dense = new float[rows * n];
        sparse.AsSpan(rows * n).Fill(-12345f);

        long before = DenseGemm.SparseBlocks;
        Kernels.Dense(Simd.Best, x, w, bias, sparse.AsSpan(0, rows * n), rows, act, threads);
        bool ran = DenseGemm.SparseBlocks > before;
        TilesOnly(x, w, bias, dense, rows, act, threads);

        // The kernel needs AVX2 (256-bit vectors); without them both calls take the tiles.
        Assert.Equal(Simd.Best == SimdLevel.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, ran);
        AssertSameBits(dense, sparse[..(rows * n)]);
        Assert.All(sparse[(rows * n)..], v => Assert.Equal(-12345f, v));
        double[] expected = Reference.Dense(x, wd, hasBias ? bias : null, rows, n, k, relu, out double[] magnitude);
        TestData.AssertClose(expected, sparse.AsSpan(0, rows * n), Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>
    /// Parts split by row blocks (fewer panels than threads: with 32-channel panels, 64 channels are 2 panels for 4
    /// threads), each part's rows through the sparse-row kernel: the same bits as one thread and as the tiles.
    /// </summary>
    [Fact]
    public void SparseRows_SplitByRowBlocks_GiveTheSameBits()
    {
        const int rows = 40, n = 64, k = 300;
        var rng = new Random(11);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Float32, n, k);
        float[] x = SparseInput(rng, rows, k, density: 0.2);
        float[] bias = TestData.Floats(rng, n);
        var many = new float[rows * n];
        var one = new float[rows * n];
        var dense = new float[rows * n];

        Kernels.Dense(Simd.Best, x, w, bias, many, rows, Activation.Relu, threads: 4);
        Kernels.Dense(Simd.Best, x, w, bias, one, rows, Activation.Relu, threads: 1);
        TilesOnly(x, w, bias, dense, rows, Activation.Relu, 4);

        AssertSameBits(one, many);
        AssertSameBits(dense, many);
        Assert.Contains(many, v => v > 0);
    }

    /// <summary>
    /// A dense x whose first K block is sparse: 2 threads split by panels (x as a whole is too dense for the row split),
    /// each part of 64 channels takes the sparse-row kernel on that block only; same bits as one thread and as the tiles.
    /// </summary>
    [Fact]
    public void SparseRows_PanelSplit_TakeTheKernelOnTheSparseKBlock()
    {
        const int rows = 48, n = 512, k = 1536;
        var rng = new Random(17);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        for (int i = 0; i < x.Length; i++)
        {
            if (i % k < 512 && rng.NextDouble() > 0.1)
            {
                x[i] = 0f;
            }
        }

        float[] bias = TestData.Floats(rng, n);
        var two = new float[rows * n];
        var one = new float[rows * n];
        var dense = new float[rows * n];
        long before = DenseGemm.SparseBlocks;
        Kernels.Dense(Simd.Best, x, w, bias, two, rows, Activation.Relu, threads: 2);
        bool ran = DenseGemm.SparseBlocks > before;
        Kernels.Dense(Simd.Best, x, w, bias, one, rows, Activation.Relu, threads: 1);
        TilesOnly(x, w, bias, dense, rows, Activation.Relu, 2);

        Assert.Equal(Simd.Best == SimdLevel.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, ran);
        AssertSameBits(one, two);
        AssertSameBits(dense, two);
        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, relu: true, out double[] magnitude);
        TestData.AssertClose(expected, two, Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>A row's result is the same whatever the batch around it: alone among dense rows (tiles) or sparse ones.</summary>
    [Fact]
    public void SparseRows_RowResultDoesNotDependOnTheBatch()
    {
        const int rows = 24, n = 128, k = 400;
        var rng = new Random(5);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Float32, n, k);
        float[] bias = TestData.Floats(rng, n);
        float[] sparseBatch = SparseInput(rng, rows, k, density: 0.2);
        float[] denseBatch = TestData.Floats(rng, rows * k);
        sparseBatch.AsSpan(0, k).CopyTo(denseBatch); // row 0 shared
        var a = new float[rows * n];
        var b = new float[rows * n];

        long before = DenseGemm.SparseBlocks;
        Kernels.Dense(Simd.Best, sparseBatch, w, bias, a, rows, Activation.Relu);
        bool ran = DenseGemm.SparseBlocks > before;
        before = DenseGemm.SparseBlocks;
        Kernels.Dense(Simd.Best, denseBatch, w, bias, b, rows, Activation.Relu);

        Assert.False(DenseGemm.SparseBlocks > before, "a dense batch takes the tiles");
        Assert.Equal(Simd.Best == SimdLevel.Vector256 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, ran);
        AssertSameBits(b[..n], a[..n]);
    }

    /// <summary>
    /// A float layer kept with NaN or ±Inf ("nonFinite": "keep") multiplies every zero of x, as ONNX's MatMul does
    /// (0·Inf = NaN): it never takes the sparse-row kernel, and its outputs are NaN where a zero met an infinity.
    /// </summary>
    [Fact]
    public void SparseRows_AreNotUsed_WithNonFiniteWeights()
    {
        const int rows = 16, n = 64, k = 200;
        var rng = new Random(9);
        float[] wf = TestData.Floats(rng, n * k);
        wf[(3 * k) + 10] = float.PositiveInfinity;
        wf[(40 * k) + 11] = float.NaN;
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], BlobWriter.Float32(wf))]);
        WeightMatrix w = WeightBlob.Load(blob).Matrix(0);
        float[] x = SparseInput(rng, rows, k, density: 0.2);
        x[10] = 0; // row 0 meets the infinity with a zero: NaN
        var y = new float[rows * n];

        long before = DenseGemm.SparseBlocks;
        Kernels.Dense(Simd.Best, x, w, [], y, rows, Activation.None);

        Assert.Equal(before, DenseGemm.SparseBlocks);
        Assert.True(float.IsNaN(y[3]), $"0·Inf must give NaN, got {y[3]}");
        Assert.True(float.IsNaN(y[40]));
    }

    // Bit for bit: Assert.Equal on floats would take +0 for −0.
    private static void AssertSameBits(float[] expected, float[] actual) =>
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));

    /// <summary>
    /// Rows of x with about <paramref name="density"/> nonzeros (the rest +0 or −0), one row all zero and one dense, so the
    /// lists' lengths vary from 0 to K.
    /// </summary>
    // The same call with the sparse-row kernel switched off: every K block through the register tiles.
    private static void TilesOnly(float[] x, WeightMatrix w, float[] bias, float[] y, int rows, Activation act, int threads)
    {
        try
        {
            DenseGemm.SparseEnabled = false;
            Kernels.Dense(Simd.Best, x, w, bias, y, rows, act, threads);
        }
        finally
        {
            DenseGemm.SparseEnabled = true;
        }
    }

    private static float[] SparseInput(Random rng, int rows, int k, double density)
    {
        float[] x = TestData.Floats(rng, rows * k);
        for (int i = 0; i < x.Length; i++)
        {
            int row = i / k;
            if (row == 1 || (row != 2 && rng.NextDouble() > density))
            {
                x[i] = rng.Next(2) == 0 ? 0f : -0f;
            }
        }

        return x;
    }
}
