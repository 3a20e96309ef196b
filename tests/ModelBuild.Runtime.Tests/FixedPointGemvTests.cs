using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The batch-1–3 int8 GEMV on 16-bit fixed-point inputs (<see cref="FixedPointGemv"/>): against float64 of the same
/// rounded inputs (only float32 roundings of a few block sums apart), against the true product within the bound the
/// rounding of x allows, channel ranges giving the same bits as the whole, the inputs it leaves to the float path,
/// what the dispatch sends it, and no read past the last row.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FixedPointGemvTests
{
    public static TheoryData<int, int, int> Sizes() => new()
    {
        // rows 1–3; N: one channel, a partial group of 4, whole groups; K: one vector, a tail of 14 columns, one block
        // exactly, one past it, three blocks + a tail of 1.
        { 1, 1, 16 },
        { 1, 37, 30 },
        { 2, 64, 784 },
        { 3, 13, 257 },
        { 1, 10, 1024 },
        { 2, 6, 801 },
        { 3, 100, 256 },
        { 4, 9, 300 },
        { 7, 21, 785 },
    };

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void Dense_MatchesTheRoundedInputs_AndStaysWithinTheRoundingBound(int rows, int n, int k)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point GEMV needs AVX2 and FMA");
        VnniForms.Each(form =>
        {
            Check(rows, n, k, WeightFormat.Int8, form);
            Check(rows, n, k, WeightFormat.Int8Asymmetric, form); // zero points in [−30, 30], taken off as zp·Σx̂
        });
    }

    private static void Check(int rows, int n, int k, WeightFormat format, string form)
    {
        var rng = new Random((rows * 1000) + (n * 10) + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        x[k / 2] = 50f; // an outlier: its block's step is 2^6 × the others'
        if (k > FixedPointInputs.BlockSize && k % FixedPointInputs.BlockSize > 1)
        {
            x[k - 1] = -1e-3f; // row 0's last block far smaller than its first
            x.AsSpan(FixedPointInputs.BlockSize * (k / FixedPointInputs.BlockSize), (k % FixedPointInputs.BlockSize) - 1).Clear();
        }

        float[] bias = TestData.Floats(rng, n);
        foreach (Activation act in new[] { Activation.None, Activation.Relu })
        {
            foreach (float[] b in new[] { bias, [] })
            {
                float[] y = Run(x, w, b, rows, act, 0, n);
                double[] rounded = Rounded(x, rows, k, out double[] blockMax);
                double[] onRounded = Reference.Dense(Array.ConvertAll(rounded, v => (float)v), wd, b.Length == 0 ? null : b, rows, n, k, act == Activation.Relu, out double[] roundedMagnitude);
                double[] exact = Reference.Dense(x, wd, b.Length == 0 ? null : b, rows, n, k, act == Activation.Relu, out double[] magnitude);
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        int i = (r * n) + j;

                        // Same inputs: a few float32 roundings of block sums and of the epilogue.
                        double close = Math.Pow(2, -20) * roundedMagnitude[i];
                        Assert.True(Math.Abs(y[i] - onRounded[i]) <= close, $"{form} {format} [{r}, {j}] {act}, bias {b.Length}: {y[i]:R} vs {onRounded[i]:R} on the rounded x (bound {close:E2})");

                        double bound = Tolerances.Dot * magnitude[i];
                        for (int c = 0; c < k; c++)
                        {
                            bound += Math.Abs(wd[(j * k) + c]) * blockMax[(r * FixedPointInputs.Blocks(k)) + (c / FixedPointInputs.BlockSize)] * Math.Pow(2, -15);
                        }

                        Assert.True(Math.Abs(y[i] - exact[i]) <= bound, $"{form} {format} [{r}, {j}] {act}: {y[i]:R} vs {exact[i]:R}, bound {bound:E2}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// The AVX2 and AVX-VNNI forms reach the same integer block sums, so the same bits: a process that turns to AVX-VNNI
    /// part-way (<see cref="VnniSwitch.AfterMacs"/>), or whose threads see the switch at different calls, gives the same
    /// results throughout.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void Both_forms_give_the_same_bits(int rows, int n, int k)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported && AvxVnni.IsSupported, "needs both forms: AVX2, FMA and AVX-VNNI");
        var rng = new Random(rows + n + k);
        foreach (WeightFormat format in new[] { WeightFormat.Int8, WeightFormat.Int8Asymmetric })
        {
            (WeightMatrix w, _) = TestData.Matrix(rng, format, n, k);
            float[] x = TestData.Floats(rng, rows * k, -40, 40);
            float[] bias = TestData.Floats(rng, n);
            var outputs = new List<float[]>();
            VnniForms.Each(_ => outputs.Add(Run(x, w, bias, rows, Activation.None, 0, n)));
            Assert.Equal(outputs[0], outputs[1]);
        }
    }

    [SkippableTheory]
    [InlineData(WeightFormat.Int8)]
    [InlineData(WeightFormat.Int8Asymmetric)]
    public void Channel_ranges_give_the_bits_of_the_whole(WeightFormat format)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point GEMV needs AVX2 and FMA");
        var rng = new Random(5);
        (WeightMatrix w, _) = TestData.Matrix(rng, format, 30, 300);
        float[] x = TestData.Floats(rng, 2 * 300);
        float[] bias = TestData.Floats(rng, 30);
        VnniForms.Each(_ =>
        {
            float[] whole = Run(x, w, bias, 2, Activation.Relu, 0, 30);
            var parts = new float[2 * 30];
            foreach ((int j0, int j1) in new[] { (0, 8), (8, 28), (28, 30) })
            {
                Assert.True(FixedPointGemv.Run(x, w, new Epilogue(w, bias, Activation.Relu), parts, 2, j0, j1));
            }

            Assert.Equal(whole, parts);

            // Prefetching the next rows (layers of 2 MB and more) is a hint only.
            long minBytes = RowPrefetch.MinBytes;
            try
            {
                RowPrefetch.MinBytes = 0;
                Assert.Equal(whole, Run(x, w, bias, 2, Activation.Relu, 0, 30));
            }
            finally
            {
                RowPrefetch.MinBytes = minBytes;
            }
        });
    }

    /// <summary>
    /// The largest products there are: q = −128 against x̂ = −32768 (and 127 against 32767) in every column, in a block
    /// of 240 vector columns plus a 15-column scalar tail (lane 0: 45 products of 2^22) and in a whole block followed
    /// by a tail block. The sums must be exact: any int16 or saturating accumulator would be far off.
    /// </summary>
    [SkippableTheory]
    [InlineData(255)]
    [InlineData(271)]
    public void The_largest_products_sum_exactly(int k)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point GEMV needs AVX2 and FMA");
        const int N = 3;
        var q = new sbyte[N * k];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = (sbyte)(i / k == 1 ? 127 : -128);
        }

        float[] scales = [1f / 1024, 1f / 2048, 1f / 4096];
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Int8, [N, k], BlobWriter.Int8(scales, q))]);
        WeightMatrix w = WeightBlob.Load(blob).Matrix(0);

        // 2 − 2^−23 rounds to 32768 steps of 2^−14 and saturates to 32767; −2 + 2^−23 rounds to −32768 exactly.
        float top = 2f - MathF.Pow(2, -23);
        float[] x = [.. Enumerable.Range(0, k).Select(c => c % 2 == 0 ? -top : top)];
        VnniForms.Each(form =>
        {
            float[] y = Run(x, w, [], 1, Activation.None, 0, N);
            for (int j = 0; j < N; j++)
            {
                long sum = 0;
                for (int c = 0; c < k; c++)
                {
                    sum += q[(j * k) + c] * (c % 2 == 0 ? -32768L : 32767L);
                }

                double expected = sum * Math.Pow(2, -14) * scales[j];
                Assert.True(Math.Abs(y[j] - expected) <= Math.Pow(2, -20) * Math.Abs(expected), $"{form} [{j}]: {y[j]:R} against {expected:R}");
            }
        });
    }

    [SkippableFact]
    public void Leaves_nonfinite_inputs_to_the_float_path()
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the fixed-point GEMV needs AVX2 and FMA");
        var rng = new Random(3);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, 12, 300);
        float[] dense = TestData.Floats(rng, 2 * 300);
        foreach (float special in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] x = (float[])dense.Clone();
            x[300 + 299] = special; // the second row's last column: the first row has been rounded already
            var y = new float[2 * 12];
            y.AsSpan().Fill(7f);
            Assert.False(FixedPointGemv.Run(x, w, new Epilogue(w, [], Activation.None), y, 2, 0, 12));
            Assert.All(y, v => Assert.Equal(7f, v)); // nothing written

            // Through Kernels.Dense the float path gives the second row's outputs the NaN (or ±∞ times mixed signs).
            Kernels.Dense(SimdLevel.Vector256, x, w, [], y, 2, Activation.None);
            Assert.All(y.AsSpan(0, 12).ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.All(y.AsSpan(12, 12).ToArray(), v => Assert.False(float.IsFinite(v)));
        }
    }

    [SkippableFact]
    public void The_dispatch_takes_int8_for_1_to_7_rows_only()
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported, "the dispatch takes it with AVX2 + FMA");
        var rng = new Random(8);
        (WeightMatrix w, _) = TestData.Matrix(rng, WeightFormat.Int8, 20, 200);
        Assert.True(FixedPointGemv.Applies(SimdLevel.Vector256, 1, w));
        Assert.True(FixedPointGemv.Applies(SimdLevel.Vector256, 7, w));
        Assert.False(FixedPointGemv.Applies(SimdLevel.Vector256, 8, w)); // the GEMMs'
        Assert.False(FixedPointGemv.Applies(SimdLevel.Vector128, 1, w));
        Assert.True(FixedPointGemv.Applies(SimdLevel.Vector256, 2, TestData.Matrix(rng, WeightFormat.Int8Asymmetric, 20, 200).Matrix));
        Assert.False(FixedPointGemv.Applies(SimdLevel.Vector256, 1, TestData.Matrix(rng, WeightFormat.Float32, 20, 200).Matrix));
        Assert.False(FixedPointGemv.Applies(SimdLevel.Vector256, 1, TestData.Matrix(rng, WeightFormat.Int8, 20, 15).Matrix));

        // Kernels.Dense gives this path's bits, for both int8 formats.
        float[] x = TestData.Floats(rng, 3 * 200);
        float[] bias = TestData.Floats(rng, 20);
        foreach (WeightMatrix m in new[] { w, TestData.Matrix(rng, WeightFormat.Int8Asymmetric, 20, 200).Matrix })
        {
            var viaDense = new float[3 * 20];
            Kernels.Dense(SimdLevel.Vector256, x, m, bias, viaDense, 3, Activation.Relu);
            Assert.Equal(Run(x, m, bias, 3, Activation.Relu, 0, 20), viaDense);
        }
    }

    /// <summary>
    /// Weights read in place from a blob followed by an inaccessible page, K = 16·m + 5: a 16-byte load past the last
    /// row's vector part faults, so the last 5 columns must take the scalar tail.
    /// </summary>
    [SkippableTheory]
    [InlineData(WeightFormat.Int8)]
    [InlineData(WeightFormat.Int8Asymmetric)]
    public unsafe void Reads_stop_at_the_last_row(WeightFormat format)
    {
        Skip.IfNot(Avx2.IsSupported && Fma.IsSupported && OperatingSystem.IsLinux(), "needs AVX2, FMA and mmap guard pages");
        const int N = 6, K = 85;
        var rng = new Random(22);
        var q = new sbyte[N * K];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = (sbyte)rng.Next(-127, 128);
        }

        float[] scales = TestData.Floats(rng, N, 0.001f, 0.02f);
        sbyte[] zp = [.. Enumerable.Range(0, N).Select(j => format == WeightFormat.Int8 ? (sbyte)0 : (sbyte)(j * 5 - 12))];
        byte[] payload = format == WeightFormat.Int8 ? BlobWriter.Int8(scales, q) : BlobWriter.Int8Asymmetric(scales, zp, q);
        byte[] blob = BlobWriter.Write([new BlobEntrySpec("w", format, [N, K], payload)]);
        byte* guarded = GuardedInput.Bytes(blob);
        WeightMatrix w = WeightBlob.Load(new ReadOnlySpan<byte>(guarded, blob.Length), new object()).Matrix(0);
        long after = blob.Length - ((byte*)Unsafe.AsPointer(ref Unsafe.AsRef(in w.Int8[0])) - guarded) - (N * K);
        Assert.True(after < 11, $"the guard page lies within a 16-byte load of the last row's end ({after} bytes after it)");
        float[] x = TestData.Floats(rng, K);
        double xMax = x.Max(v => Math.Abs((double)v));
        VnniForms.Each(form =>
        {
            float[] y = Run(x, w, [], 1, Activation.None, 0, N);
            for (int j = 0; j < N; j++)
            {
                // Within what rounding x to 2^−15 of its largest |x| allows.
                double exact = 0, bound = 1e-6;
                for (int c = 0; c < K; c++)
                {
                    double weight = (q[(j * K) + c] - zp[j]) * (double)scales[j];
                    exact += weight * x[c];
                    bound += Math.Abs(weight) * xMax * Math.Pow(2, -15);
                }

                Assert.True(Math.Abs(y[j] - exact) <= bound, $"{form} [{j}]: {y[j]} against {exact}, bound {bound:E2}");
            }
        });
    }

    private static float[] Run(float[] x, WeightMatrix w, float[] bias, int rows, Activation act, int j0, int j1)
    {
        var y = new float[rows * w.Rows];
        Assert.True(FixedPointGemv.Run(x, w, new Epilogue(w, bias, act), y, rows, j0, j1));
        return y;
    }

    /// <summary>x rounded as the GEMV does (<see cref="FixedPointInputs.Quantize"/>), as doubles, and each row's block maxima of |x|.</summary>
    private static double[] Rounded(float[] x, int rows, int k, out double[] blockMax)
    {
        int blocks = FixedPointInputs.Blocks(k);
        var rounded = new double[x.Length];
        blockMax = new double[rows * blocks];
        var codes = new short[k];
        var steps = new float[blocks];
        for (int r = 0; r < rows; r++)
        {
            Assert.True(FixedPointInputs.Quantize(x.AsSpan(r * k, k), codes, steps));
            for (int c = 0; c < k; c++)
            {
                rounded[(r * k) + c] = codes[c] * (double)steps[c / FixedPointInputs.BlockSize];
                ref double max = ref blockMax[(r * blocks) + (c / FixedPointInputs.BlockSize)];
                max = Math.Max(max, Math.Abs(x[(r * k) + c]));
            }
        }

        return rounded;
    }
}
