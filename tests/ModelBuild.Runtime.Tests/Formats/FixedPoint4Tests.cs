using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// The 4-bit batch-1 kernel on 16-bit fixed-point inputs (<see cref="DirectDense.FixedPoint4"/>), called directly so it
/// runs on AVX-512 machines too (where the dispatch keeps the 512-bit table kernel): its result against float64 of the
/// same rounded inputs (the integer products and the layout of x's halves exact, only float32 rounding of the
/// segment sums left), its error against the true dot within the bound the rounding of x allows, and the inputs it
/// leaves to the float kernel.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FixedPoint4Tests
{
    public static TheoryData<int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, bool>();

        // K: one block; one chunk; a chunk + a block; 96 and 352 (a last chunk of 32 columns); the wide MLP's 784 (12
        // chunks + 16); 304 and 528 cross a 256-column step block mid-group; 1024 (4 step blocks). Groups: per channel (0),
        // 64, 128, 256, 512 and 192 (across step blocks). Zero points on every other case.
        (int K, int Group)[] shapes = [(16, 0), (64, 0), (80, 0), (96, 0), (352, 64), (784, 0), (304, 0), (528, 64), (1024, 0), (1024, 64), (1024, 128), (768, 256), (1024, 512), (784, 64), (960, 192)];
        for (int i = 0; i < shapes.Length; i++)
        {
            data.Add(1 + (i % 3), 5 + (i % 4), shapes[i].K, shapes[i].Group, i % 2 == 0);
        }

        data.Add(3, 9, 784, 0, true);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Equals_float64_of_the_rounded_input_and_stays_within_the_rounding_bound(int rows, int n, int k, int group, bool asym)
    {
        Skip.IfNot(Avx2.IsSupported, "the 4-bit fixed-point kernel needs AVX2");
        var rng = new Random((rows * 1000) + (n * 10) + k + group);
        (DirectWeights w, double[] wd, int[] codes, float[] scales, int g, int perRow) = FourBitWeights.Linear(rng, n, k, group, asym);
        float[] x = TestData.Floats(rng, rows * k);
        x[k / 2] = 40f; // an outlier: its step block's step is 2^5 × the others'
        x[0] = 0;
        float[] bias = TestData.Floats(rng, n);
        float[]? previous = null;
        VnniForms.Each(form =>
        {
            var y = new float[rows * n];
            DirectDense.FixedPoint4(x, w, y, rows, new Epilogue(bias, Activation.None));

            // Both forms sum the same byte products per int32 lane: the same bits.
            Assert.Equal(previous ?? y, y);
            previous = y;

            for (int r = 0; r < rows; r++)
            {
                double[] xr = x.AsSpan(r * k, k).ToArray().Select(v => (double)v).ToArray();
                double[] rounded = Rounded(x.AsSpan(r * k, k));
                double[] blockMax = xr.Chunk(FixedPointInputs.BlockSize).Select(c => c.Max(Math.Abs)).ToArray();
                for (int j = 0; j < n; j++)
                {
                    // The kernel's arithmetic is Σ w·x̂ with exact integer segment sums: only float32 rounding of a few sums
                    // is left (2e-6 of Σ|w·x̂|). Against the true input, the rounding of x adds at most Σ|w|·|x − x̂|.
                    double same = bias[j], exact = bias[j], magnitude = Math.Abs(bias[j]), bound = 0;
                    for (int c = 0; c < k; c++)
                    {
                        double weight = wd[(j * k) + c];
                        same += weight * rounded[c];
                        exact += weight * xr[c];
                        magnitude += Math.Abs(weight * rounded[c]);
                        bound += Math.Abs(weight) * Math.Abs(xr[c] - rounded[c]);
                        Assert.True(Math.Abs(xr[c] - rounded[c]) <= blockMax[c / FixedPointInputs.BlockSize] * Math.Pow(2, -14));
                    }

                    float actual = y[(r * n) + j];
                    Assert.True(Math.Abs(actual - same) <= 2e-6 * magnitude, $"{form} row {r}, output {j}: {actual:R} against {same:R} on the rounded input (magnitude {magnitude:G4})");
                    Assert.True(Math.Abs(actual - exact) <= bound + (2e-6 * magnitude), $"{form} row {r}, output {j}: {actual:R} against {exact:R}, bound {bound:G4}");
                }
            }
        });
    }

    public static TheoryData<int, int, int, double> PaletteCases()
    {
        var data = new TheoryData<int, int, int, double>();
        foreach ((int k, int rowsPerBook) in new[] { (16, 1), (64, 1000), (80, 3), (784, 1000), (304, 1), (1024, 3) })
        {
            data.Add(1 + (k % 3), k, rowsPerBook, 1);
        }

        // Magnitudes far from 1 (the biased float kernel hands both to another kernel; here the steps follow x). The
        // largest input is 40·xScale: 4e29 ≈ 2^98.3, just under the 2^100 from which inputs go to the float kernels
        // (FixedPointInputs.HugeBits).
        data.Add(1, 784, 1000, 1e28);
        data.Add(2, 304, 3, 1e-30);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(PaletteCases))]
    public void Palette_equals_float64_of_the_rounded_input_and_stays_within_the_rounding_bound(int rows, int k, int rowsPerBook, double xScale)
    {
        Skip.IfNot(Avx2.IsSupported, "the 4-bit fixed-point kernels need AVX2");
        const int N = 7;
        var rng = new Random(k + rowsPerBook);
        (DirectWeights w, float[] tables, int[] codes) = FourBitWeights.Palette(rng, N, k, rowsPerBook);
        float[] x = TestData.Floats(rng, rows * k).Select(v => (float)(v * xScale)).ToArray();
        x[k / 2] = (float)(40 * xScale);
        float[]? previous = null;
        VnniForms.Each(form =>
        {
            var y = new float[rows * N];
            DirectDense.FixedPointPalette(x, w, y, rows, new Epilogue([], Activation.None));

            // Both forms sum the same byte products per int32 lane: the same bits.
            Assert.Equal(previous ?? y, y);
            previous = y;

            for (int r = 0; r < rows; r++)
            {
                double[] rounded = Rounded(x.AsSpan(r * k, k), 12);
                double[] blockMax = x.AsSpan(r * k, k).ToArray().Chunk(FixedPointInputs.BlockSize).Select(c => c.Max(v => Math.Abs((double)v))).ToArray();
                for (int j = 0; j < N; j++)
                {
                    double same = 0, exact = 0, magnitude = 0, bound = 0;
                    for (int c = 0; c < k; c++)
                    {
                        double weight = tables[(j / rowsPerBook * 16) + codes[(j * k) + c]], xc = x[(r * k) + c];
                        same += weight * rounded[c];
                        exact += weight * xc;
                        magnitude += Math.Abs(weight * rounded[c]);
                        bound += Math.Abs(weight) * Math.Abs(xc - rounded[c]);
                        Assert.True(Math.Abs(xc - rounded[c]) <= blockMax[c / FixedPointInputs.BlockSize] * Math.Pow(2, -13));
                    }

                    // Σ k·x̂ in exact integer segments: float32 rounding of a few sums only (2e-6 of Σ|w·x̂|).
                    float actual = y[(r * N) + j];
                    Assert.True(Math.Abs(actual - same) <= 2e-6 * magnitude, $"{form} row {r}, output {j}: {actual:R} against {same:R} on the rounded input");
                    Assert.True(Math.Abs(actual - exact) <= bound + (2e-6 * magnitude), $"{form} row {r}, output {j}: {actual:R} against {exact:R}, bound {bound:G4}");
                }
            }
        });
    }

    [SkippableFact]
    public void Non_finite_inputs_take_the_float_kernels()
    {
        Skip.IfNot(Avx2.IsSupported, "the 4-bit fixed-point kernels need AVX2");
        var rng = new Random(5);
        (DirectWeights w, _, _, _, _, _) = FourBitWeights.Linear(rng, 6, 128, 0, false);
        var palette = new float[16];
        for (int e = 0; e < 16; e++)
        {
            palette[e] = (e == 15 ? 63 : e - 7) / 256f;
        }

        DirectWeights p = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("p", WeightFormat.Float32, [6, 128], Concat([4, 0, 0, 0], U32(6), F32(palette),
            Bits([.. Enumerable.Range(0, 6 * 128).Select(_ => rng.Next(16))], 4))) { FormatOverride = 5 }])).DenseMatrix(0).Direct!;
        Assert.NotEmpty(p.BiasedSteps);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] x = TestData.Floats(rng, 128);
            x[70] = bad;
            var y = new float[6];
            var expected = new float[6];
            DirectDense.FixedPoint4(x, w, y, 1, new Epilogue([], Activation.None));
            DirectDense.Gemv<SplitBlock<FourBits>, LinearValues>(x, w, expected, 1, new Epilogue([], Activation.None));
            Assert.Equal(expected, y); // the float kernel's own bits: the call went there
            DirectDense.FixedPointPalette(x, p, y, 1, new Epilogue([], Activation.None));
            BiasedGridPalette16Gemv.Run(x, p, expected, 1, new Epilogue([], Activation.None));
            Assert.Equal(expected, y);
        }
    }

    /// <summary>
    /// Codes read in place (row-blocked, flag bit 2) from a blob whose last byte is followed by an inaccessible page: the
    /// last row's last chunk holds 16 columns (8 bytes), so a whole 32-byte load there would read 24 bytes past the row,
    /// beyond its 8 spare bytes, and fault. Both kernels must read only the chunk's whole blocks.
    /// </summary>
    [SkippableFact]
    public unsafe void Last_chunk_reads_stop_at_the_row_end()
    {
        Skip.IfNot(Avx2.IsSupported && OperatingSystem.IsLinux(), "needs AVX2 and mmap guard pages");
        const int N = 3, K = 80;
        var rng = new Random(21);
        int[] codes = [.. Enumerable.Range(0, N * K).Select(_ => rng.Next(16))];
        float[] scales = [.. Enumerable.Range(0, N).Select(_ => 0.01f + (0.1f * rng.NextSingle()))];
        var table = new float[16];
        for (int e = 0; e < 16; e++)
        {
            table[e] = (e == 15 ? 63 : e - 7) / 256f;
        }

        foreach ((byte format, byte[] header) in new[] { ((byte)4, Concat([4, 4, 0, 0], U32(K), F32(scales))), ((byte)5, Concat([4, 4, 0, 0], U32(N), F32(table))) })
        {
            byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], Concat(header, RowBlocked(codes, 4, N, K))) { FormatOverride = format }]);
            byte* guarded = GuardedInput.Bytes(blob);
            DirectWeights w = WeightBlob.Load(new ReadOnlySpan<byte>(guarded, blob.Length), new object()).DenseMatrix(0).Direct!;
            Assert.True(w.CodesInPlace);
            Assert.True(blob.Length - (int)((byte*)Unsafe.AsPointer(ref w.CodeStart) - guarded) - (N * K / 2) < 24, "the guard page lies within a 32-byte load of the last chunk");
            float[] x = TestData.Floats(rng, K);
            var y = new float[N];
            var expected = new float[N];
            if (format == 4)
            {
                DirectDense.FixedPoint4(x, w, y, 1, new Epilogue([], Activation.None));
                DirectDense.Gemv<SplitBlock<FourBits>, LinearValues>(x, w, expected, 1, new Epilogue([], Activation.None));
            }
            else
            {
                DirectDense.FixedPointPalette(x, w, y, 1, new Epilogue([], Activation.None));
                BiasedGridPalette16Gemv.Run(x, w, expected, 1, new Epilogue([], Activation.None));
            }

            for (int j = 0; j < N; j++)
            {
                Assert.True(Math.Abs(y[j] - expected[j]) <= 1e-3 * (1 + Math.Abs(expected[j])), $"format {format}, output {j}: {y[j]} against {expected[j]}");
            }
        }
    }

    [SkippableFact]
    public void Takes_whole_blocks_and_whole_chunk_groups_only()
    {
        Skip.IfNot(Avx2.IsSupported && !Wide512.Enabled, "the dispatch takes it only with AVX2 and no 512-bit vectors");
        var rng = new Random(9);
        Assert.True(DirectDense.FixedPoint4Takes(FourBitWeights.Linear(rng, 4, 784, 0, false).W));
        Assert.True(DirectDense.FixedPoint4Takes(FourBitWeights.Linear(rng, 4, 256, 64, false).W));
        Assert.False(DirectDense.FixedPoint4Takes(FourBitWeights.Linear(rng, 4, 83, 0, false).W)); // a partial block
        Assert.False(DirectDense.FixedPoint4Takes(FourBitWeights.Linear(rng, 4, 256, 32, false).W)); // groups of half a chunk
    }

    /// <summary>x rounded as <see cref="FixedPointInputs.QuantizeNarrow"/> (13 fraction bits), QuantizeNarrower (12) and Quantize (14) define it, independently of their code.</summary>
    internal static double[] Rounded(ReadOnlySpan<float> x, int fractionBits = 13)
    {
        var result = new double[x.Length];
        for (int start = 0; start < x.Length; start += FixedPointInputs.BlockSize)
        {
            int end = Math.Min(x.Length, start + FixedPointInputs.BlockSize);
            float max = 0;
            for (int i = start; i < end; i++)
            {
                max = Math.Max(max, Math.Abs(x[i]));
            }

            int e = Math.Max(max == 0 ? -127 : Math.ILogB(max), -112);
            double step = Math.Pow(2, e - fractionBits);
            for (int i = start; i < end; i++)
            {
                result[i] = Math.Round(x[i] / step, MidpointRounding.ToEven) * step;
            }
        }

        return result;
    }
}
