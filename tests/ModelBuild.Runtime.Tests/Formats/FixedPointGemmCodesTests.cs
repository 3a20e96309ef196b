using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// The batched fixed-point GEMM over 4-bit codes (<see cref="FixedPointGemm"/>, FixedPointGemm.Codes.cs): its result
/// against float64 of the same rounded inputs (integer segment sums exact, float32 rounding of a few sums left), its
/// error against the true product within the bound the rounding of x allows, the dispatch reaching it and leaving
/// non-finite inputs to <see cref="DirectGemm"/>, and reads that stop at the last row (any thread count giving the same
/// bits: <see cref="FixedPointGemmTests"/>).
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FixedPointGemmCodesTests
{
    public static TheoryData<int, int, int, int, int> LinearCases()
    {
        // Rows: one tile + 2, 13 (2 + 1), 64. N: under a panel, a partial last panel, whole panels. K: one block; the wide
        // MLP's 784; 304 across a step block; 1024. Groups: per channel (0), 16 (one block), 48 (not dividing 256), 64,
        // 192 (across step blocks), 512. Zero points: none (0), in [−2, 2] (2), −8 in places (8: offset 0, code 0 an
        // exact zero), anywhere in int8 (128: |q| up to 135).
        var data = new TheoryData<int, int, int, int, int>
        {
            { 8, 5, 16, 0, 0 },
            { 13, 37, 784, 0, 2 },
            { 64, 32, 304, 0, 0 },
            { 9, 20, 304, 16, 2 },
            { 8, 17, 1024, 64, 0 },
            { 13, 16, 960, 192, 2 },
            { 20, 40, 1024, 512, 0 },
            { 9, 24, 528, 48, 8 },
            { 8, 17, 784, 0, 128 },
            { 4, 19, 304, 0, 2 }, // the fewest rows this GEMM takes for 4-bit codes: one partial tile
            { 5, 16, 256, 64, 0 },
        };
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(LinearCases))]
    public void Linear_equals_float64_of_the_rounded_input_and_stays_within_the_rounding_bound(int rows, int n, int k, int group, int zeroPoints)
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random((rows * 1000) + (n * 10) + k + group);
        (int zpMin, int zpMax) = zeroPoints switch { 8 => (-8, -6), 128 => (-128, 127), _ => (-zeroPoints, zeroPoints) };
        (DirectWeights w, double[] wd, _, _, _, _) = FourBitWeights.Linear(rng, n, k, group, zeroPoints != 0, zpMin, zpMax);
        Assert.True(zeroPoints != 8 || w.HasZeroOffset, "offset 0 in some group");
        Check(rng, w, wd, rows, n, k);
    }

    // Books shared by whole panels (1000, 16: codes moved as bytes under one table) and books changing within a panel
    // (1, 3, 2, and 24, where the first panel has one book and the second two: a table per channel).
    [SkippableTheory]
    [InlineData(8, 7, 784, 1000)]
    [InlineData(13, 40, 304, 16)]
    [InlineData(9, 40, 784, 24)]
    [InlineData(13, 33, 304, 1)]
    [InlineData(64, 20, 1024, 3)]
    [InlineData(9, 5, 16, 2)]
    [InlineData(4, 18, 320, 1)]
    public void Palette_equals_float64_of_the_rounded_input_and_stays_within_the_rounding_bound(int rows, int n, int k, int rowsPerBook)
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random(k + rowsPerBook + n);
        (DirectWeights w, float[] tables, int[] codes) = FourBitWeights.Palette(rng, n, k, rowsPerBook);
        double[] wd = codes.Select((u, i) => (double)tables[(i / k / rowsPerBook * 16) + u]).ToArray();
        Check(rng, w, wd, rows, n, k);
    }

    [SkippableFact]
    public void Takes_4_bit_linear_codes_and_narrow_grid_palettes()
    {
        var rng = new Random(4);
        Assert.True(FixedPointGemm.TakesCodes(FourBitWeights.Linear(rng, 4, 784, 0, false).W));
        Assert.True(FixedPointGemm.TakesCodes(FourBitWeights.Linear(rng, 4, 256, 32, true).W));
        Assert.True(FixedPointGemm.TakesCodes(FourBitWeights.Palette(rng, 4, 64, 1).W));
        Assert.False(FixedPointGemm.TakesCodes(FourBitWeights.Linear(rng, 4, 83, 0, false).W)); // a partial block

        Assert.True(FixedPointGemm.TakesCodes(FourBitWeights.Linear(rng, 4, 64, 0, true, -8, -8).W)); // offset 0: q = 0 exactly

        // A palette off the narrow grid (steps 200 apart) stays with the float rows.
        float[] table = [.. Enumerable.Range(0, 16).Select(e => (e == 15 ? 200 : e) / 256f)];
        byte[] payload = Concat([4, 0, 0, 0], U32(2), F32(table), Bits([.. Enumerable.Range(0, 64).Select(i => i % 16)], 4));
        DirectWeights wide = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [2, 32], payload) { FormatOverride = 5 }])).DenseMatrix(0).Direct!;
        Assert.Empty(wide.BiasedSteps);
        Assert.False(FixedPointGemm.TakesCodes(wide));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Dense_reaches_it_and_leaves_non_finite_inputs_to_the_float_path(bool palette)
    {
        Skip.IfNot(Avx2.IsSupported, "the fixed-point GEMM needs AVX2");
        var rng = new Random(8);
        WeightMatrix w = Matrix(palette ? FourBitWeights.Palette(rng, 24, 320, 1).W : FourBitWeights.Linear(rng, 24, 320, 64, true).W);
        float[] x = TestData.Floats(rng, 16 * 320);
        var direct = new float[16 * 24];
        var viaDense = new float[16 * 24];
        Assert.True(FixedPointGemm.Run(x, w, [], direct, 16, Activation.None));
        Kernels.Dense(SimdLevel.Vector256, x, w, [], viaDense, 16, Activation.None);
        Assert.Equal(direct, viaDense);

        x[(2 * 320) + 5] = float.NaN;
        var y = new float[16 * 24];
        y.AsSpan().Fill(7f);
        Assert.False(FixedPointGemm.Run(x, w, [], y, 16, Activation.None));
        Assert.All(y, v => Assert.Equal(7f, v)); // nothing written
        Kernels.Dense(SimdLevel.Vector256, x, w, [], y, 16, Activation.None);
        Assert.All(y.AsSpan(2 * 24, 24).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(y.AsSpan(0, 2 * 24).ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// Codes read in place from a blob followed by an inaccessible page: 3 rows fill 3 of a panel's 16 channels, so a
    /// read of a padding channel's codes, or past the last row's last block, faults. Linear codes (one lookup for the
    /// panel) and a palette with a book per row (a table per channel) take the two ways of widening.
    /// </summary>
    [SkippableTheory]
    [InlineData(4)]
    [InlineData(5)]
    public unsafe void Reads_stop_at_the_last_row(byte format)
    {
        Skip.IfNot(Avx2.IsSupported && OperatingSystem.IsLinux(), "needs AVX2 and mmap guard pages");
        const int N = 3, K = 80, Rows = 8;
        var rng = new Random(22);
        int[] codes = [.. Enumerable.Range(0, N * K).Select(_ => rng.Next(16))];
        float[] scales = [.. Enumerable.Range(0, N).Select(_ => 0.01f + (0.1f * rng.NextSingle()))];
        float[] tables = [.. Enumerable.Range(0, N * 16).Select(i => (i % 16 == 15 ? 63 : (i % 16) - 7 - (i / 16)) / 256f)];
        byte[] header = format == 4 ? Concat([4, 4, 0, 0], U32(K), F32(scales)) : Concat([4, 4, 0, 0], U32(1), F32(tables));
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], Concat(header, RowBlocked(codes, 4, N, K))) { FormatOverride = format }]);
        byte* guarded = GuardedInput.Bytes(blob);
        WeightMatrix w = Matrix(WeightBlob.Load(new ReadOnlySpan<byte>(guarded, blob.Length), new object()).DenseMatrix(0).Direct!);
        Assert.True(w.Direct!.CodesInPlace);
        Assert.True(FixedPointGemm.TakesCodes(w.Direct));
        Assert.True(blob.Length - (int)((byte*)Unsafe.AsPointer(ref w.Direct.CodeStart) - guarded) - (N * K / 2) < 16, "the guard page lies within a block of the last row's end");
        float[] x = TestData.Floats(rng, Rows * K);
        var y = new float[Rows * N];
        Assert.True(FixedPointGemm.Run(x, w, [], y, Rows, Activation.None));
        for (int r = 0; r < Rows; r++)
        {
            for (int j = 0; j < N; j++)
            {
                double exact = 0;
                for (int c = 0; c < K; c++)
                {
                    int code = codes[(j * K) + c];
                    exact += (format == 4 ? (code - 8) * (double)scales[j] : tables[(16 * j) + code]) * x[(r * K) + c];
                }

                Assert.True(Math.Abs(y[(r * N) + j] - exact) <= 1e-3, $"format {format} [{r}, {j}]: {y[(r * N) + j]} against {exact}");
            }
        }
    }

    /// <summary>Runs the GEMM on random inputs with an outlier, bias and both activations, against float64.</summary>
    private static void Check(Random rng, DirectWeights direct, double[] wd, int rows, int n, int k)
    {
        WeightMatrix w = Matrix(direct);
        float[] x = TestData.Floats(rng, rows * k);
        x[k / 2] = 40f; // an outlier: its step block's step is 2^5 × the others'
        x[k] = 0;
        float[] bias = TestData.Floats(rng, n);
        VnniForms.Each(form =>
        {
            foreach (Activation act in new[] { Activation.None, Activation.Relu })
            {
                var y = new float[rows * n];
                Assert.True(FixedPointGemm.Run(x, w, bias, y, rows, act));
                for (int r = 0; r < rows; r++)
                {
                    double[] rounded = FixedPoint4Tests.Rounded(x.AsSpan(r * k, k), 14);
                    for (int j = 0; j < n; j++)
                    {
                        // Σ w·x̂ in exact integer segments: only float32 rounding of a few sums (2e-6 of Σ|w·x̂|). Against the
                        // true input the rounding of x adds at most Σ|w|·|x − x̂|, x̂ within 2^−15 of its block's largest |x|.
                        double same = bias[j], exact = bias[j], magnitude = Math.Abs(bias[j]), bound = 0;
                        for (int c = 0; c < k; c++)
                        {
                            double weight = wd[(j * k) + c], xc = x[(r * k) + c];
                            same += weight * rounded[c];
                            exact += weight * xc;
                            magnitude += Math.Abs(weight * rounded[c]);
                            bound += Math.Abs(weight) * Math.Abs(xc - rounded[c]);
                        }

                        if (act == Activation.Relu)
                        {
                            (same, exact) = (Math.Max(same, 0), Math.Max(exact, 0));
                        }

                        float actual = y[(r * n) + j];
                        Assert.True(Math.Abs(actual - same) <= 2e-6 * magnitude, $"{form} {act} [{r}, {j}]: {actual:R} against {same:R} on the rounded input (magnitude {magnitude:G4})");
                        Assert.True(Math.Abs(actual - exact) <= bound + (2e-6 * magnitude), $"{form} {act} [{r}, {j}]: {actual:R} against {exact:R}, bound {bound:G4}");
                    }
                }
            }
        });
    }

    /// <summary>The weight as Kernels.Dense receives it: a matrix whose compact form is <paramref name="direct"/>.</summary>
    private static WeightMatrix Matrix(DirectWeights direct) => new(direct);
}
