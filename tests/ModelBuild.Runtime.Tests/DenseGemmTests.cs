namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The packed GEMM path of Dense (≥ <see cref="DenseGemm.MinRows"/> rows) against the float64 reference, at every
/// SIMD level and with shapes that are not multiples of the register tiles (rows vs 6 or 8, channels vs 8, 16 or 32,
/// K vs the K blocks of 256, 512 and 1024 (<see cref="DenseGemm.BlockK"/>), K = 1), int8 layers large enough for int8
/// panels (<see cref="DenseGemm.MaxFloatPanelWeights"/>), and its thread split against one thread, bit for bit.
/// </summary>
public sealed class DenseGemmTests
{
    private static readonly (int Rows, int N, int K)[] Sizes =
        [(8, 1, 1), (8, 32, 16), (13, 5, 7), (17, 33, 255), (64, 47, 256), (70, 31, 257), (9, 64, 600), (40, 130, 1), (10, 17, 513), (8, 9, 1030), (11, 40, 2100)];

    public static TheoryData<int, WeightFormat, int, int, int> Cases() => TestData.LevelFormatSizes(Sizes);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gemm_MatchesFloat64Reference(int level, WeightFormat format, int rows, int n, int k)
    {
        var rng = new Random((rows * 7919) + (n * 31) + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = (n % 2 == 0) ? TestData.Floats(rng, n) : [];
        bool relu = (rows + k) % 2 == 1;
        var y = new float[rows * n];

        Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, relu ? Activation.Relu : Activation.None);

        double[] expected = Reference.Dense(x, wd, bias.Length == 0 ? null : bias, rows, n, k, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    /// <summary>
    /// Int8 layers above <see cref="DenseGemm.MaxFloatPanelWeights"/> take int8 panels, widened per K block and call (by the
    /// first row block's tile, or a pass for 512-bit panels) with the channel scales applied per output: through the
    /// accumulator pass (301 channels) and fused into the tiles' stores (whole panels), with and without bias and ReLU.
    /// </summary>
    [Theory]
    [MemberData(nameof(Int8PanelCases))]
    public void Gemm_Int8Panels_MatchFloat64Reference(int level, int rows, int n, int k, bool bias, bool relu, int threads)
    {
        Assert.True((long)n * k > DenseGemm.MaxFloatPanelWeights);
        var rng = new Random(level + rows + n + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Int8, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] b = bias ? TestData.Floats(rng, n) : [];
        var y = new float[(rows * n) + 33];
        y.AsSpan(rows * n).Fill(-12345f);

        Kernels.Dense((SimdLevel)level, x, w, b, y.AsSpan(0, rows * n), rows, relu ? Activation.Relu : Activation.None, threads);

        double[] expected = Reference.Dense(x, wd, bias ? b : null, rows, n, k, relu, out double[] magnitude);
        TestData.AssertClose(expected, y.AsSpan(0, rows * n), Tolerances.Dot, 1e-7, magnitude);
        Assert.All(y[(rows * n)..], v => Assert.Equal(-12345f, v));
    }

    public static TheoryData<int, int, int, int, bool, bool, int> Int8PanelCases()
    {
        var data = new TheoryData<int, int, int, int, bool, bool, int>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            data.Add(level, 9, 301, 900, true, false, 1);
            data.Add(level, 13, 301, 900, false, true, 1);
            data.Add(level, 13, 320, 900, true, true, 1);
            data.Add(level, 8, 512, 600, false, false, 1);
            data.Add(level, 16, 64, 4200, true, true, 1);

            // One panel (16 channels on AVX2) split by row blocks over two threads: the second part's first block has
            // 5 rows, so the widening tile runs with 5 live rows; with 3 threads a part starts with 2 rows (Widen).
            data.Add(level, 11, 16, 20000, true, true, 2);
            data.Add(level, 14, 16, 20000, false, true, 3);
        }

        return data;
    }

    [Theory]
    [InlineData(8, 784, 1)]
    [InlineData(16, 784, 2)]
    [InlineData(32, 1030, 5)]
    [InlineData(8, 2100, 3)]
    [InlineData(16, 200, 1)]
    public void BlockK_CutsKIntoEqualBlocksOfAtMostOneSlice(int nr, int k, int blocks)
    {
        int block = DenseGemm.BlockK(k, nr);

        Assert.Equal(blocks, (k + block - 1) / block);
        Assert.True(block * nr <= DenseGemm.SliceFloats);
        Assert.Equal(0, block % 8);
        Assert.True(k - ((blocks - 1) * block) > block / 2, "no short last block");
    }

    /// <summary>
    /// Whole panels (N a multiple of 8, 16 and 32) go straight to y with the bias and ReLU fused into the tiles' stores:
    /// the results match the float64 reference and nothing past the last row is written (rows that are not whole tiles).
    /// </summary>
    [Theory]
    [MemberData(nameof(WholePanelCases))]
    public void Gemm_WholePanels_FuseBiasAndRelu_AndWriteOnlyTheirRows(int level, int rows, int k)
    {
        const int n = 64, spare = 97;
        var rng = new Random((rows * 131) + k + level);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        var y = new float[(rows * n) + spare];
        y.AsSpan(rows * n).Fill(-12345f);

        Kernels.Dense((SimdLevel)level, x, w, bias, y.AsSpan(0, rows * n), rows, Activation.Relu);

        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, true, out double[] magnitude);
        TestData.AssertClose(expected, y.AsSpan(0, rows * n), Tolerances.Dot, 1e-7, magnitude);
        Assert.All(y[(rows * n)..], v => Assert.Equal(-12345f, v));
        Assert.Contains(y[..(rows * n)], v => v == 0); // ReLU clamped some
        Assert.Contains(y[..(rows * n)], v => v > 0);
    }

    public static TheoryData<int, int, int> WholePanelCases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            foreach ((int rows, int k) in new[] { (8, 16), (9, 600), (13, 1030), (15, 40), (65, 300), (70, 2100) })
            {
                data.Add(level, rows, k);
            }
        }

        return data;
    }

    /// <summary>
    /// N not a multiple of the panel width: the whole panels accumulate in y and the last one in an NR-wide scratch,
    /// finished from there. With a half-zero x (the whole panels then run the sparse kernel), one and three threads
    /// (three split the 70 rows' blocks, so every part finishes its own rows of the last panel): the results match the
    /// float64 reference, nothing past y is written, and the split gives the same bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(PartialPanelCases))]
    public void Gemm_PartialLastPanel_MatchesFloat64_WritesNothingPastY_AndAnyThreadCountGivesTheSameBits(int level, WeightFormat format, int n, int k)
    {
        const int rows = 70, spare = 41;
        var rng = new Random((n * 17) + level);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        for (int i = 0; i < x.Length; i += 2)
        {
            x[i] = 0;
        }

        float[] bias = TestData.Floats(rng, n);
        var one = new float[(rows * n) + spare];
        var many = new float[(rows * n) + spare];
        one.AsSpan(rows * n).Fill(-12345f);
        many.AsSpan(rows * n).Fill(-12345f);

        Kernels.Dense((SimdLevel)level, x, w, bias, one.AsSpan(0, rows * n), rows, Activation.Relu, threads: 1);
        Kernels.Dense((SimdLevel)level, x, w, bias, many.AsSpan(0, rows * n), rows, Activation.Relu, threads: 3);

        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, true, out double[] magnitude);
        TestData.AssertClose(expected, one.AsSpan(0, rows * n), Tolerances.Dot, 1e-7, magnitude);
        Assert.All(one[(rows * n)..], v => Assert.Equal(-12345f, v));
        Assert.Equal(one, many);
    }

    public static TheoryData<int, WeightFormat, int, int> PartialPanelCases()
    {
        var data = new TheoryData<int, WeightFormat, int, int>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            // (5, 3000): fewer channels than one panel, and enough work (2.1 MFLOP) for the 3 threads to split the rows.
            foreach ((int n, int k) in new[] { (3, 300), (37, 300), (71, 300), (1101, 300), (5, 3000) })
            {
                data.Add(level, WeightFormat.Float32, n, k);
                data.Add(level, WeightFormat.Int8, n, k);
            }
        }

        return data;
    }

    [Theory]
    [InlineData(64, 1024, 784, 2)]
    [InlineData(64, 10, 1024, 2)]
    [InlineData(70, 130, 300, 3)]
    [InlineData(16, 33, 2000, 4)]
    [InlineData(14, 16, 20000, 3)]
    public void Gemm_AnyThreadCount_GivesTheSameBits(int rows, int n, int k, int threads)
    {
        var rng = new Random(rows + n + k);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        var one = new float[rows * n];
        var many = new float[rows * n];

        Kernels.Dense(Simd.Best, x, w, bias, one, rows, Activation.Relu, threads: 1);
        Kernels.Dense(Simd.Best, x, w, bias, many, rows, Activation.Relu, threads);

        Assert.Equal(one, many);
        Assert.Contains(one, v => v > 0); // not all clamped away by ReLU
    }
}
