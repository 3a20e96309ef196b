using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The batched int8 GEMM on 16-bit fixed-point inputs (<see cref="FixedPointGemm"/>): its bits against the scalar
/// definition, its error against float64 within the bound the rounding of x allows, the inputs it leaves to the float
/// GEMM (sparse x, NaN and infinities), any thread count giving the same bits, and the rounding itself (<see cref="FixedPointInputs"/>).
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FixedPointGemmTests
{
    public static TheoryData<int, int, int> Sizes() => new()
    {
        // rows: one 6-row tile + 2 rows, 64 (10 tiles + 4), 13 (2 + 1); N: whole panels, a partial one, fewer than a panel;
        // K: odd, one block exactly, one past it, three blocks + a tail.
        { 8, 16, 30 },
        { 64, 256, 784 },
        { 13, 37, 257 },
        { 9, 5, 256 },
        { 20, 100, 801 },
        { 64, 10, 1024 },
        { 5, 37, 300 }, // the fewest rows this GEMM takes for int8: one partial tile
        { 7, 16, 256 },
    };

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void Dense_SameBitsAsTheDefinition_AndWithinTheRoundingBound(int rows, int n, int k)
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random((rows * 1000) + (n * 10) + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Int8, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        x[k / 2] = 50f; // an outlier: its block's step is 2^6 × the others'
        float[] bias = TestData.Floats(rng, n);
        VnniForms.Each(form => Check(rows, n, k, w, wd, x, bias, form));
    }

    private static void Check(int rows, int n, int k, WeightMatrix w, double[] wd, float[] x, float[] bias, string form)
    {
        foreach (Activation act in new[] { Activation.None, Activation.Relu })
        {
            foreach (float[] b in new[] { bias, [] })
            {
                float[] y = Run(x, w, b, rows, act);
                var expected = new float[rows * n];
                FixedPointGemm.Reference(x, w, b, expected, rows, act);
                for (int i = 0; i < y.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]), $"{form} [{i}] {act}, bias {b.Length}: expected {expected[i]:R}, got {y[i]:R}");
                }

                double[] exact = Reference.Dense(x, wd, b.Length == 0 ? null : b, rows, n, k, act == Activation.Relu, out double[] magnitude);
                for (int r = 0; r < rows; r++)
                {
                    double[] blockMax = x.AsSpan(r * k, k).ToArray().Chunk(FixedPointInputs.BlockSize).Select(c => c.Max(v => Math.Abs((double)v))).ToArray();
                    for (int j = 0; j < n; j++)
                    {
                        double bound = Tolerances.Dot * magnitude[(r * n) + j];
                        for (int i = 0; i < k; i++)
                        {
                            bound += Math.Abs(wd[(j * k) + i]) * blockMax[i / FixedPointInputs.BlockSize] * Math.Pow(2, -15);
                        }

                        double diff = Math.Abs(y[(r * n) + j] - exact[(r * n) + j]);
                        Assert.True(diff <= bound, $"{form} [{r}, {j}] {act}: {y[(r * n) + j]:R} vs {exact[(r * n) + j]:R}, |diff| {diff:E2} > {bound:E2}");
                    }
                }
            }
        }
    }

    [SkippableFact]
    public void Dense_LeavesSparseAndNonFiniteInputsToTheFloatGemm()
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random(3);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, 40, 300);
        float[] dense = TestData.Floats(rng, 16 * 300);
        float[] sparse = dense.Select((v, i) => i % 4 == 0 ? v : 0).ToArray(); // a quarter nonzero, below FixedPointGemm.SparseBelow
        float[] nan = (float[])dense.Clone();
        nan[777] = float.NaN;
        float[] inf = (float[])dense.Clone();
        inf[4000] = float.NegativeInfinity;
        var y = new float[16 * 40];

        Assert.True(FixedPointGemm.Run(dense, w, [], y, 16, Activation.None));
        foreach (float[] x in new[] { sparse, nan, inf })
        {
            y.AsSpan().Fill(7f);
            Assert.False(FixedPointGemm.Run(x, w, [], y, 16, Activation.None));
            Assert.All(y, v => Assert.Equal(7f, v)); // nothing written
        }

        // Through Kernels.Dense the NaN still reaches every output of its row, as the float GEMM gives it.
        var viaDense = new float[16 * 40];
        Kernels.Dense(SimdLevel.Vector256, nan, w, [], viaDense, 16, Activation.None);
        Assert.All(viaDense.AsSpan(2 * 40, 40).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(viaDense.AsSpan(0, 40).ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    // Int8 panels and 4-bit codes (FixedPointGemm.Codes.cs): int4 in groups of 64 with zero points, a palette with a book
    // per row (a table per channel).
    [SkippableTheory]
    [InlineData(64, 1030, 784, 2, "int8")] // 65 panels, the last partial
    [InlineData(24, 40, 3000, 3, "int8")]
    [InlineData(70, 130, 300, 4, "int8")]
    [InlineData(64, 1030, 784, 2, "int4")]
    [InlineData(24, 40, 3008, 3, "int4")]
    [InlineData(20, 70, 528, 3, "palette")]
    public void Dense_AnyThreadCount_GivesTheSameBits(int rows, int n, int k, int threads, string weights)
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random(rows + n + k);
        bool codes = weights != "int8";
        WeightMatrix w = weights switch
        {
            "int4" => new WeightMatrix(Formats.FourBitWeights.Linear(rng, n, k, 64, true).W),
            "palette" => new WeightMatrix(Formats.FourBitWeights.Palette(rng, n, k, 1).W),
            _ => TestData.Matrix(rng, WeightFormat.Int8, n, k).Matrix,
        };
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        float[]? previous = null;
        VnniForms.Each(form =>
        {
            var one = new float[rows * n];
            var many = new float[rows * n];
            Assert.True(FixedPointGemm.Run(x, w, bias, one, rows, Activation.Relu, threads: 1));
            Assert.True(FixedPointGemm.Run(x, w, bias, many, rows, Activation.Relu, threads));

            Assert.Equal(one, many);
            if (!codes)
            {
                var expected = new float[rows * n];
                FixedPointGemm.Reference(x, w, bias, expected, rows, Activation.Relu);
                Assert.Equal(expected, one);
            }

            // Both forms sum the same exact integers per lane: the same bits.
            Assert.Equal(previous ?? one, one);
            previous = one;
        });
    }

    [SkippableFact]
    public void Quantize_RoundsToNearestEven_SaturatesAndKeepsTheBound()
    {
        Skip.IfNot(Avx2.IsSupported, "the rounding uses AVX2");

        // Block 0: largest |x| = 2 − 2^−23 (e = 0, codes = round(x · 2^14)); ties at ±0.5 and ±1.5 steps, −0, subnormals,
        // 2 − 2^−23 itself rounding to 32768 and saturating to 32767. Block 1: all zeros. Block 2: largest |x| below
        // 2^−112 (the step 2^−126). Block 3 (a tail of 20): negative powers of two.
        int size = FixedPointInputs.BlockSize;
        float step = MathF.Pow(2, -14);
        var x = new float[(3 * size) + 20];
        float[] specials = [1.5f, 0.5f * step, 1.5f * step, -0.5f * step, -1.5f * step, 2.5f * step, -0f, float.Epsilon, -float.Epsilon, 1e-39f, -1.5f, 2f - MathF.Pow(2, -23), -1.999f];
        specials.CopyTo(x, 0);
        for (int i = 0; i < 40; i++)
        {
            x[(2 * size) + i] = ((i % 3) - 1) * (i + 1) * 1e-36f; // largest 4e-35 ≈ 2^−114.3
        }

        for (int i = 0; i < 20; i++)
        {
            x[(3 * size) + i] = -MathF.Pow(2, -i);
        }

        var codes = new short[x.Length];
        var steps = new float[FixedPointInputs.Blocks(x.Length)];
        Assert.True(FixedPointInputs.Quantize(x, codes, steps));

        short[] expectedHead = [24576, 0, 2, 0, -2, 2, 0, 0, 0, 0, -24576, 32767, -32752];
        Assert.Equal(expectedHead, codes[..expectedHead.Length]);
        Assert.Equal(new[] { step, MathF.Pow(2, -126), MathF.Pow(2, -126), step }, steps);
        Assert.Equal(-3403, codes[(2 * size) + 39]); // −4e-35 · 2^126, rounded
        for (int i = 0; i < x.Length; i++)
        {
            int b = i / size;
            float max = x.Skip(b * size).Take(size).Max(MathF.Abs);
            double error = Math.Abs(x[i] - ((double)codes[i] * steps[b]));
            Assert.True(error <= Math.Max(max * Math.Pow(2, -15), Math.Pow(2, -127)), $"[{i}]: {x[i]:R} → {codes[i]} × {steps[b]:R}");
        }

        // Refused like NaN: from 2^100 on a block's integer sum times its step could overflow float32 before the weights'
        // scale (FixedPointInputs.HugeBits); just below, the block rounds.
        foreach (float special in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, MathF.Pow(2, 100), -float.MaxValue })
        {
            float[] bad = (float[])x.Clone();
            bad[(3 * size) + 19] = special; // in the last block: the earlier blocks round before the check fails
            Assert.False(FixedPointInputs.Quantize(bad, codes, steps));
        }

        float[] large = (float[])x.Clone();
        large[(3 * size) + 19] = MathF.BitDecrement(MathF.Pow(2, 100));
        Assert.True(FixedPointInputs.Quantize(large, codes, steps));
    }

    private static float[] Run(float[] x, WeightMatrix w, float[] bias, int rows, Activation act)
    {
        var y = new float[rows * w.Rows];
        Assert.True(FixedPointGemm.Run(x, w, bias, y, rows, act));
        return y;
    }
}
