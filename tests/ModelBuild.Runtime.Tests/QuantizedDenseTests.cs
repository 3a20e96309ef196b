namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The int8-activation Dense kernel against the integer maths it stands for, computed here in 64-bit integers:
/// every path must give the exact sum Σ (q − zp)·w, so outputs are compared bit for bit after the same float
/// epilogue. The quantiser is checked against the ONNX formula (DynamicQuantizeLinear, QuantizeLinear) written out.
/// </summary>
public sealed class QuantizedDenseTests
{
    // Every k from 0 to 70 covers the 32-wide loop, the 16-wide step and every scalar tail length; n mod 4 ≠ 0 runs the
    // single-row tail, odd row counts the 4×1 block.
    private static readonly int[] Ks = [.. Enumerable.Range(0, 71), 95, 127, 129, 255, 256, 784, 1023];

    /// <summary>The paths this machine runs (all four on an AVX-VNNI machine; SimdLevelTests covers the narrow runs).</summary>
    public static TheoryData<int> Paths => new(Enum.GetValues<Int8Path>().Where(Int8Dense.IsSupported).Select(p => (int)p));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_EveryK_MatchesExactIntegerSums(int path)
    {
        var rng = new Random(11 + path);
        foreach (int k in Ks)
        {
            foreach ((int rows, int n) in new[] { (1, 5), (2, 4), (3, 9) })
            {
                RunCase(rng, (Int8Path)path, rows, n, k, zeroPoint: rng.Next(256), extremes: false);
            }
        }
    }

    /// <summary>
    /// The packed GEMM (≥ <see cref="Int8Gemm.MinRows"/> rows): row counts around the 6-row tile, channel counts around
    /// the 4/8/16-channel tiles and panels (a partial last panel), k not a multiple of the 4-byte groups, with and
    /// without ReLU.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_BatchedRows_MatchExactIntegerSums(int path)
    {
        var rng = new Random(31 + path);
        (int Rows, int N, int K)[] sizes =
            [(4, 1, 1), (4, 16, 4), (5, 17, 3), (6, 8, 33), (7, 10, 784), (12, 33, 255), (13, 4, 64), (64, 47, 130), (9, 20, 1023), (11, 3, 2)];
        foreach ((int rows, int n, int k) in sizes)
        {
            RunCase(rng, (Int8Path)path, rows, n, k, zeroPoint: rng.Next(256), extremes: false, relu: (rows + n) % 2 == 0);
        }
    }

    /// <summary>Codes 0/255 with weights ±127 of matching sign: the pairs whose int16 sum a plain vpmaddubsw would saturate.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_ExtremeCodesAndWeights_DoNotSaturate(int path)
    {
        var rng = new Random(5);
        foreach (int zp in new[] { 0, 128, 255 })
        {
            RunCase(rng, (Int8Path)path, rows: 1, n: 9, k: 96, zeroPoint: zp, extremes: true, relu: true); // the batch-1 GEMV, 4-row blocks + 1
            RunCase(rng, (Int8Path)path, rows: 1, n: 8, k: 70, zeroPoint: zp, extremes: true); // k past whole 32-byte steps
            RunCase(rng, (Int8Path)path, rows: 2, n: 8, k: 96, zeroPoint: zp, extremes: true);
            RunCase(rng, (Int8Path)path, rows: 7, n: 24, k: 96, zeroPoint: zp, extremes: true); // the GEMM
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Kernel_WeightMinus128_StillExact(int path)
    {
        var codes = Enumerable.Repeat((sbyte)-128, 4 * 40).ToArray();
        var w = Int8Matrix(4, 40, codes, [0.5f, 0.25f, 1, 2]);
        byte[] q = [.. Enumerable.Range(0, 40).Select(i => (byte)(i * 6))];
        long dot = q.Sum(v => (long)(v - 3) * -128);
        float[] expected = [Epilogue(dot, 0.1f, 0.5f, 0), Epilogue(dot, 0.1f, 0.25f, 0), Epilogue(dot, 0.1f, 1, 0), Epilogue(dot, 0.1f, 2, 0)];
        foreach (int rows in new[] { 1, Int8Gemm.MinRows + 1 })
        {
            // The same input row repeated: the dot-product kernels (1 row) and the GEMM (5 rows).
            byte[] batch = [.. Enumerable.Range(0, rows).SelectMany(_ => q)];
            var y = new float[4 * rows];
            Int8Dense.Run((Int8Path)path, batch, 3, 0.1f, w, [], Activation.None, y, rows);
            Assert.Equal(Enumerable.Range(0, rows).SelectMany(_ => expected), y);
        }
    }

    [Fact]
    public void DynamicParameters_FollowTheOnnxFormula()
    {
        var rng = new Random(3);
        foreach ((float lo, float hi) in new[] { (-1f, 1f), (0.5f, 3f), (-7f, -0.25f), (-0.001f, 40f) })
        {
            float[] x = TestData.Floats(rng, 301, lo, hi);
            (float scale, int zp) = ActivationQuantizer.DynamicParameters(x);

            // ONNX DynamicQuantizeLinear: the range includes 0, scale = (max − min)/255, zp = saturate(round(−min/scale)).
            float min = Math.Min(x.Min(), 0), max = Math.Max(x.Max(), 0);
            float expectedScale = (max - min) / 255f;
            Assert.Equal(expectedScale, scale);
            Assert.Equal((int)Math.Clamp(Math.Round(-min / expectedScale, MidpointRounding.ToEven), 0, 255), zp);
        }

        Assert.Equal((1f, 0), ActivationQuantizer.DynamicParameters(new float[9])); // empty range: ONNX Runtime's scale 1
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Quantize_MatchesFormula_WithTiesAndSaturation(int level)
    {
        var rng = new Random(9);
        const float scale = 0.5f;
        const int zp = 100;

        // Halves (ties go to even), values far outside the range, ±∞ and every length around the 32-wide step.
        float[] pool = [.. TestData.Floats(rng, 200, -80, 100), 0.25f, 0.75f, -1.25f, 1e30f, -1e30f, float.PositiveInfinity, float.NegativeInfinity, 77.75f];
        for (int length = 0; length <= 70; length++)
        {
            float[] x = [.. Enumerable.Range(0, length).Select(i => pool[(i * 7 + length) % pool.Length])];
            var q = new byte[length];
            ActivationQuantizer.Quantize((SimdLevel)level, x, scale, zp, q);
            for (int i = 0; i < length; i++)
            {
                double code = Math.Clamp(Math.Round((double)(x[i] / scale), MidpointRounding.ToEven) + zp, 0, 255);
                Assert.True(code == q[i], $"length {length} [{i}]: x = {x[i]:R}, expected {code}, got {q[i]}");
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(20)]
    public void PublicEntry_Dynamic_IsQuantiseThenExactProduct(int rows)
    {
        var rng = new Random(21);
        const int n = 37, k = 200;
        float[] x = TestData.Floats(rng, rows * k, -2, 3);
        var (w, codes, scales) = RandomInt8(rng, n, k);
        float[] bias = TestData.Floats(rng, n);
        var y = new float[rows * n];

        Kernels.QuantizedDense(x, w, bias, y, rows, Activation.Relu, 0, 0, new byte[rows * k]);

        (float s, int zp) = ActivationQuantizer.DynamicParameters(x);
        var q = new byte[x.Length];
        ActivationQuantizer.Quantize(SimdLevel.Scalar, x, s, zp, q);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                long dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += (long)(q[(r * k) + i] - zp) * codes[(j * k) + i];
                }

                Assert.Equal(Math.Max(0, Epilogue(dot, s, scales[j], bias[j])), y[(r * n) + j]);
            }
        }
    }

    [Fact]
    public void PublicEntry_RejectsFloatWeightsAndBadScales()
    {
        (WeightMatrix f32, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, 2, 3);
        var (w, _, _) = RandomInt8(new Random(2), 2, 3);
        var x = new float[3];
        var y = new float[2];
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedDense(x, f32, [], y, 1, Activation.None, 0, 0, new byte[3]));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedDense(x, w, [], y, 1, Activation.None, -1, 0, new byte[3]));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedDense(x, w, [], y, 1, Activation.None, 0.1f, 256, new byte[3]));
        Assert.Throws<ArgumentException>(() => Kernels.QuantizedDense(x, w, [], y, 1, Activation.None, 0.1f, 0, new byte[2]));
    }

    private static void RunCase(Random rng, Int8Path path, int rows, int n, int k, int zeroPoint, bool extremes, bool relu = false)
    {
        var (w, codes, scales) = RandomInt8(rng, n, k, extremes);
        var q = new byte[rows * k];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = extremes ? (byte)(rng.Next(2) * 255) : (byte)rng.Next(256);
        }

        if (extremes)
        {
            // Make every code agree in sign with its weight for row 0 (the worst case for int16 pair sums).
            for (int i = 0; i < k; i++)
            {
                q[i] = codes[i] > 0 ? (byte)255 : (byte)0;
            }
        }

        float scale = 0.0173f;
        float[] bias = TestData.Floats(rng, n);
        var y = new float[rows * n];
        Int8Dense.Run(path, q, zeroPoint, scale, w, bias, relu ? Activation.Relu : Activation.None, y, rows);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                long dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += (long)(q[(r * k) + i] - zeroPoint) * codes[(j * k) + i];
                }

                float expected = Epilogue(dot, scale, scales[j], bias[j]);
                expected = relu && expected < 0 ? 0 : expected;
                Assert.True(expected.Equals(y[(r * n) + j]), $"{path} rows {rows} n {n} k {k} zp {zeroPoint} [{r},{j}]: exact sum {dot} → {expected:R}, got {y[(r * n) + j]:R}");
            }
        }
    }

    /// <summary>The epilogue's float steps on an exact integer sum (the sums here stay far inside int32).</summary>
    private static float Epilogue(long dot, float scale, float weightScale, float bias) => ((float)checked((int)dot) * (scale * weightScale)) + bias;

    private static (WeightMatrix W, sbyte[] Codes, float[] Scales) RandomInt8(Random rng, int n, int k, bool extremes = false)
    {
        var codes = new sbyte[n * k];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = extremes ? (sbyte)(rng.Next(2) == 0 ? -127 : 127) : (sbyte)rng.Next(-127, 128);
        }

        float[] scales = TestData.Floats(rng, n, 0.001f, 0.02f);
        return (Int8Matrix(n, k, codes, scales), codes, scales);
    }

    private static WeightMatrix Int8Matrix(int n, int k, sbyte[] codes, float[] scales) =>
        WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Int8, [n, k], BlobWriter.Int8(scales, codes))])).Matrix(0);
}
