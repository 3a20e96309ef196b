using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// Dense over packed linear and palettized weights kept compact, at every SIMD level, against float64 dot products
/// of the values docs/FORMATS.md defines (computed here from the codes, scales and tables the test wrote).
/// </summary>
public sealed class DirectDenseTests
{
    // Odd K, N not a multiple of 4, 1–3 input rows (in-register kernel) and 5 (decoded blocks), K below one block;
    // 9 and 20 rows (DirectGemm: a partial x panel, MR-row weight blocks with a partial last one, K across two Kc blocks).
    // K = 200 and 147: 64-column lookup blocks (4-bit palette) then an 8-code chunk, or a 16-code block and 3 scalar columns.
    // With AVX-512, groups of whole block pairs take the paired kernel: K = 83 and 147 leave an unpaired last block at 4
    // bits, K = 96 at 2 bits (3 blocks of 32), groups of 64 (4-bit) and 128 (1-bit) end on pairs, groups of one block (16 at
    // 4 bits) keep 256 bits. Per-channel cases run symmetric too: asymmetric 1/2-bit groups mostly have a zero offset,
    // which keeps the unshifted kernel.
    private static readonly (int Rows, int N, int K)[] Sizes = [(1, 7, 83), (2, 5, 130), (3, 9, 64), (5, 6, 97), (1, 3, 5), (9, 7, 83), (20, 13, 300), (1, 5, 200), (2, 6, 147), (1, 5, 96)];

    public static TheoryData<int, int, int, bool> LinearCases()
    {
        var data = new TheoryData<int, int, int, bool>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            foreach ((int bits, int group) in new[] { (4, 0), (4, 16), (4, 32), (4, 64), (2, 0), (2, 32), (2, 64), (3, 0), (3, 8), (3, 24), (3, 64), (3, 128), (1, 0), (1, 64), (1, 128) })
            {
                data.Add(level, bits, group, group % 32 == 0);
                if (group == 0)
                {
                    data.Add(level, bits, group, false);
                }
            }
        }

        return data;
    }

    /// <param name="group">0 for per-channel (G = K).</param>
    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Packed_linear_dense_equals_float64(int level, int bits, int group, bool asym)
    {
        foreach ((int rows, int n, int k) in Sizes)
        {
            int g = group == 0 || group > k ? k : group, perRow = (k + g - 1) / g;
            var rng = new Random((bits * 7919) + (g * 31) + k);
            float[] scales = Enumerable.Range(0, n * perRow).Select(_ => 0.01f + (0.1f * rng.NextSingle())).ToArray();
            sbyte[]? zps = asym ? Enumerable.Range(0, n * perRow).Select(_ => (sbyte)rng.Next(-2, 3)).ToArray() : null;
            int[] codes = Enumerable.Range(0, n * k).Select(_ => rng.Next(1 << bits)).ToArray();
            double[] wd = codes.Select((u, i) =>
            {
                int at = (i / k * perRow) + (i % k / g);
                return (double)(float)((u - (1 << (bits - 1)) - (zps?[at] ?? 0)) * (double)scales[at]);
            }).ToArray();
            byte[] payload = Concat([(byte)bits, (byte)(asym ? 1 : 0), 0, 0], U32((uint)g), F32(scales),
                zps is null ? [] : Pad4(zps.Select(z => (byte)z).ToArray()), Bits(codes, bits));
            Check(level, 4, payload, rows, n, k, wd, expectDirect: true);
        }
    }

    public static TheoryData<int, int, int> PaletteCases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            foreach (int bits in new[] { 1, 2, 3, 4 })
            {
                foreach (int rowsPerBook in new[] { 1, 3, 1000 })
                {
                    data.Add(level, bits, rowsPerBook);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PaletteCases))]
    public void Palettized_dense_equals_float64(int level, int bits, int rowsPerBook)
    {
        foreach ((int rows, int n, int k) in Sizes)
        {
            var rng = new Random((bits * 101) + rowsPerBook + k);
            int size = 1 << bits, books = (n + rowsPerBook - 1) / rowsPerBook;
            float[] tables = Enumerable.Range(0, books * size).Select(_ => rng.NextSingle() - 0.5f).ToArray();
            int[] codes = Enumerable.Range(0, n * k).Select(_ => rng.Next(size)).ToArray();
            double[] wd = codes.Select((u, i) => (double)tables[(i / k / rowsPerBook * size) + u]).ToArray();
            byte[] payload = Concat([(byte)bits, 0, 0, 0], U32((uint)rowsPerBook), F32(tables), Bits(codes, bits));
            Check(level, 5, payload, rows, n, k, wd, expectDirect: true);
        }
    }

    public static TheoryData<int, int, double, int> GridPaletteCases()
    {
        var data = new TheoryData<int, int, double, int>();
        foreach (int level in new[] { 0, 1, 2 })
        {
            foreach (int maxStep in new[] { 63, 127 })
            {
                foreach (int rowsPerBook in new[] { 1, 3, 1000 })
                {
                    data.Add(level, rowsPerBook, 1, maxStep);
                }

                // Inputs near 1e30: the grid kernel's k·2^24 products would overflow float32 unless x is scaled down
                // first, and the biased kernel's x·2^64 would overflow (it hands such calls to the grid kernel).
                data.Add(level, 1000, 1e30, maxStep);
            }

            // Inputs in the biased kernel's window at both ends, and below it (1e-13: handed to the grid kernel).
            data.Add(level, 3, 1e-11, 63);
            data.Add(level, 3, 1e17, 63);
            data.Add(level, 3, 1e-13, 63);
        }

        return data;
    }

    /// <summary>
    /// 16-entry palettes whose entries are k·s (float32) with distinct integer k in [−maxStep, maxStep] and one s per
    /// book: the runtime recognises the grid (at batch 1–3 on AVX2: BiasedGridPalette16Gemv for the narrow grid of
    /// |k| ≤ 63, GridPalette16Gemv for the wide one when a book's steps span more than 127) and still computes the
    /// format's values.
    /// </summary>
    [Theory]
    [MemberData(nameof(GridPaletteCases))]
    public void Int8_grid_palette_dense_equals_float64(int level, int rowsPerBook, double xScale, int maxStep)
    {
        foreach ((int rows, int n, int k) in Sizes)
        {
            var rng = new Random(rowsPerBook + k + 77);
            int books = (n + rowsPerBook - 1) / rowsPerBook;
            var tables = new float[books * 16];
            for (int b = 0; b < books; b++)
            {
                // s = m/2^16: k·s and maxStep·s/maxStep are exact, so the grid the test means is the one the runtime derives.
                float s = rng.Next(16, 1024) / 65536f;
                int[] ends = maxStep == 63 ? [rng.Next(2) == 0 ? 63 : -63] : [127, -127];
                int[] steps = [.. Enumerable.Range(-maxStep, (2 * maxStep) + 1).OrderBy(_ => rng.Next()).Take(16 - ends.Length).Concat(ends).Distinct()];
                for (int e = 0; e < 16; e++)
                {
                    tables[(b * 16) + e] = steps[e % steps.Length] * s;
                }
            }

            int[] codes = Enumerable.Range(0, n * k).Select(_ => rng.Next(16)).ToArray();
            double[] wd = codes.Select((u, i) => (double)tables[(i / k / rowsPerBook * 16) + u]).ToArray();
            byte[] payload = Concat([4, 0, 0, 0], U32((uint)rowsPerBook), F32(tables), Bits(codes, 4));
            WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = 5 }]));
            WeightMatrix w = blob.DenseMatrix(0);
            Assert.Equal(books * 16, w.Direct!.GridSteps.Length);
            Assert.Equal(maxStep == 63 ? books * 16 : 0, w.Direct.BiasedSteps.Length);

            // Every fourth input 0 (ReLU's output): zeros are inside the biased kernel's window at any scale. The others are
            // at least 0.1·xScale in magnitude, so at 1e-11 every input is inside the window (≥ 2^−40) and the biased kernel
            // runs; uniform inputs near 0 would send almost every such call to the fallback.
            float[] x = TestData.Floats(new Random(rows + n + k), rows * k)
                .Select((v, i) => i % 4 == 1 ? 0f : (float)(Math.CopySign(0.1 + (0.9 * Math.Abs(v)), v) * xScale)).ToArray();
            float[] bias = TestData.Floats(rng, n).Select(v => (float)(v * xScale)).ToArray();
            var y = new float[rows * n];
            Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, Activation.None);

            double[] expected = Reference.Dense(x, wd, bias, rows, n, k, false, out double[] magnitude);
            TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6 * xScale, magnitude);
        }
    }

    /// <summary>
    /// One input at a time (x = 0.75·e_c) on the narrow grid: the output is column c's weights, so the biased kernel's
    /// corrections between the bytes of a lane (down to 2^−16 of a step, below the random-input test's tolerance) must
    /// all be right for every position of a 64-column block, the 16-column blocks after them and the tail.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Each_input_alone_through_a_narrow_grid_palette_gives_its_weight_column(int level)
    {
        const int N = 3, K = 64 + 64 + 16 + 5;
        var rng = new Random(11);
        const float S = 37 / 65536f;
        int[] steps = [.. Enumerable.Range(-63, 127).OrderBy(_ => rng.Next()).Take(15).Append(63)];
        float[] table = steps.Select(k => k * S).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(N), F32(table), Bits(codes, 4));
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 5 }]));
        WeightMatrix w = blob.DenseMatrix(0);
        Assert.NotEmpty(w.Direct!.BiasedSteps);

        var x = new float[K];
        var y = new float[N];
        for (int c = 0; c < K; c++)
        {
            Array.Clear(x);
            x[c] = 0.75f;
            Kernels.Dense((SimdLevel)level, x, w, new float[N], y, 1, Activation.None);
            for (int j = 0; j < N; j++)
            {
                // The sums carry u·x and base·Σx (up to 255 and 191 steps): their rounding is ~1e-5 of a step.
                Assert.True(Math.Abs(y[j] - (0.75 * table[codes[(j * K) + c]])) <= 5e-5 * S, $"column {c}, row {j}: {y[j]} against {0.75 * table[codes[(j * K) + c]]}");
            }
        }
    }

    [Fact]
    public void Float_palettes_off_the_int8_grid_keep_the_float_table_kernel()
    {
        const int N = 4, K = 128;
        var rng = new Random(3);
        float[] table = Enumerable.Range(0, 16).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(N), F32(table), Bits(codes, 4));

        Assert.Empty(DirectWeights.TryCreate(5, payload, N, K, "w")!.GridSteps);
    }

    /// <summary>
    /// The 4-bit kernel converts each code byte whole (lo + 16·hi) and cancels the extra lo·x[j + 8]/16 terms with a
    /// second product: inputs whose paired columns differ by up to 10^7 in magnitude (and in sign) must still give the
    /// plain dot's error, relative to Σ|x·w|; a wrong pairing or a lost cancellation is off by whole terms.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Four_bit_codes_keep_the_plain_dot_error_when_paired_columns_differ_in_magnitude(int level)
    {
        const int N = 9, K = 16 * 12 + 8;
        var rng = new Random(41);
        float[] scales = Enumerable.Range(0, N).Select(_ => 0.01f + (0.1f * rng.NextSingle())).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        double[] wd = codes.Select((u, i) => (double)(float)((u - 8) * (double)scales[i / K])).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(K), F32(scales), Bits(codes, 4));
        WeightMatrix w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 4 }])).DenseMatrix(0);
        foreach (bool largeHigh in new[] { true, false })
        {
            // Column c pairs with c ± 8 inside each 16-column block; one of the two is 10^7 times the other.
            float[] x = [.. Enumerable.Range(0, K).Select(c => ((c % 16 >= 8) == largeHigh ? 1e4f : 1e-3f) * (rng.NextSingle() - 0.5f))];
            var y = new float[N];
            Kernels.Dense((SimdLevel)level, x, w, [], y, 1, Activation.None);
            double[] expected = Reference.Dense(x, wd, null, 1, N, K, false, out double[] magnitude);
            TestData.AssertClose(expected, y, Tolerances.Dot, 0, magnitude);
        }
    }

    /// <summary>
    /// Zero points of −bias make code 0 an exact zero weight: a huge input on such a column must not enter the sum, as
    /// it does not in the plain dot (the byte-prefix kernel's cancellations would round it in, so such matrices keep
    /// the unshifted kernel). One weight of 1 at column 0, 10^9 on the zero-weight column paired with it.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    [InlineData(1)]
    public void Exact_zero_weights_ignore_huge_inputs_at_every_bit_width(int bits)
    {
        int k = 64, bias = 1 << (bits - 1);
        int[] codes = new int[k];
        codes[0] = 1;
        byte[] payload = Concat([(byte)bits, 1, 0, 0], U32((uint)k), F32([1f]), Pad4([unchecked((byte)(sbyte)(-bias))]), Bits(codes, bits));
        WeightMatrix w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [1, k], payload) { FormatOverride = 4 }])).DenseMatrix(0);
        Assert.True(w.Direct!.HasZeroOffset);
        var x = new float[k];
        x[0] = 1;
        for (int c = 8; c < k; c += 8)
        {
            x[c] = 1e9f;
        }

        foreach (int level in new[] { 0, 1, 2 })
        {
            var y = new float[1];
            Kernels.Dense((SimdLevel)level, x, w, [], y, 1, Activation.None);
            Assert.Equal(1f, y[0]);
        }
    }

    /// <summary>
    /// K = 83 ends on a partial 16-column block, which the AVX-512 table kernel reads whole (codes padded, x copied and
    /// padded): the padding must not enter the sum even when the entry its codes select is +∞ (the real columns never
    /// use it) and an earlier, wider call on this thread left NaN in the input scratch behind the copied x.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Padding_of_a_partial_last_block_never_enters_the_sum(int level)
    {
        const int N = 5, K = 83, Wider = 96;
        var rng = new Random(83);
        float[] table = [float.PositiveInfinity, .. Enumerable.Range(1, 15).Select(_ => rng.NextSingle() - 0.5f)];
        WeightMatrix wide = Palettized(N, Wider, table, [.. Enumerable.Range(0, N * Wider).Select(_ => rng.Next(1, 16))]);
        Kernels.Dense((SimdLevel)level, Enumerable.Repeat(float.NaN, Wider).ToArray(), wide, [], new float[N], 1, Activation.None);

        int[] codes = [.. Enumerable.Range(0, N * K).Select(_ => rng.Next(1, 16))];
        float[] x = TestData.Floats(rng, K);
        var y = new float[N];
        Kernels.Dense((SimdLevel)level, x, Palettized(N, K, table, codes), [], y, 1, Activation.None);

        double[] expected = Reference.Dense(x, [.. codes.Select(u => (double)table[u])], null, 1, N, K, false, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6, magnitude);
    }

    private static WeightMatrix Palettized(int n, int k, float[] table, int[] codes)
    {
        byte[] payload = Concat([4, 0, 0, 0], U32((uint)n), F32(table), Bits(codes, 4));
        return WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = 5 }])).DenseMatrix(0);
    }

    [Theory]
    [InlineData(5, 16)] // 5 bits: no direct kernel
    [InlineData(4, 24)] // group not a multiple of the 16-code block
    public void Uncovered_packed_linear_is_decoded_at_load_and_still_right(int bits, int group)
    {
        const int N = 6, K = 50;
        int perRow = (K + group - 1) / group;
        var rng = new Random(bits + group);
        float[] scales = Enumerable.Range(0, N * perRow).Select(_ => 0.05f).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(1 << bits)).ToArray();
        double[] wd = codes.Select(u => (u - (1 << (bits - 1))) * (double)0.05f).ToArray();
        byte[] payload = Concat([(byte)bits, 0, 0, 0], U32((uint)group), F32(scales), Bits(codes, bits));
        Check(2, 4, payload, 1, N, K, wd, expectDirect: false);
    }

    [Fact]
    public void Direct_weight_holds_no_float_copy_and_about_the_blobs_bytes()
    {
        const int N = 64, K = 784, G = 32;
        var rng = new Random(12);
        float[] scales = Enumerable.Range(0, N * ((K + G - 1) / G)).Select(_ => 0.02f).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(G), F32(scales), Bits(codes, 4));
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 4 }]));

        WeightMatrix m = blob.DenseMatrix(0);
        var y = new float[N];
        Kernels.Dense(new float[K], m, [], y, 1, Activation.None);
        Kernels.Dense(new float[5 * K], m, [], new float[5 * N], 5, Activation.None);
        Kernels.Dense(new float[64 * K], m, [], new float[64 * N], 64, Activation.None);

        Assert.NotNull(m.Direct);
        Assert.True(m.Floats.IsEmpty);
        Assert.False(m.HasDecodedCopy);
        Assert.False(m.HasPackedDense); // batch 64 ran DirectGemm, not DenseGemm's float panels
        Assert.InRange(m.Direct!.ByteCount, payload.Length - 8, payload.Length + 8);

        // Another kernel asking for the entry gets the float32 decoding, made then and shared.
        WeightMatrix decoded = blob.Matrix(0);
        Assert.True(m.HasDecodedCopy);
        Assert.Same(decoded, blob.Matrix(0));
        Assert.Equal(decoded.Floats.ToArray(), blob.Floats(0));
    }

    [Fact]
    public void Batched_direct_dense_gives_the_same_bits_for_every_thread_count()
    {
        const int Rows = 64, N = 50, K = 300;
        var rng = new Random(9);
        float[] scales = Enumerable.Range(0, N).Select(_ => 0.01f + (0.1f * rng.NextSingle())).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(K), F32(scales), Bits(codes, 4));
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 4 }]));
        WeightMatrix w = blob.DenseMatrix(0);
        float[] x = TestData.Floats(rng, Rows * K);
        float[] bias = TestData.Floats(rng, N);
        var one = new float[Rows * N];
        var two = new float[Rows * N];

        Kernels.Dense(Simd.Best, x, w, bias, one, Rows, Activation.Relu, threads: 1);
        Kernels.Dense(Simd.Best, x, w, bias, two, Rows, Activation.Relu, threads: 2);

        Assert.Equal(one, two);
        Assert.False(w.HasPackedDense);
    }

    [Fact]
    public void DenseOp_in_a_program_reads_an_int4_weight_without_a_float_copy()
    {
        const int Rows = 2, N = 6, K = 40;
        var rng = new Random(5);
        float[] scales = Enumerable.Range(0, N).Select(_ => 0.1f).ToArray();
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(16)).ToArray();
        double[] wd = codes.Select(u => (u - 8) * (double)0.1f).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32(K), F32(scales), Bits(codes, 4));
        float[] x = TestData.Floats(rng, Rows * K);

        var h = new OpHarness();
        int input = h.Floats(x, Rows, K);
        int output = h.Output();
        int weight = h.BlobEntry(new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 4 });
        var (program, context) = h.Prepare(new ModelBuild.Runtime.Ops.DenseOp(input, output, weight, -1, Activation.None));
        program.Run(context);

        double[] expected = Reference.Dense(x, wd, null, Rows, N, K, false, out double[] magnitude);
        TestData.AssertClose(expected, context.Floats(output), Tolerances.Dot, 1e-6, magnitude);
        WeightMatrix m = program.Blob.DenseMatrix(weight);
        Assert.NotNull(m.Direct);
        Assert.False(m.HasDecodedCopy);
    }

    [Theory]
    [InlineData(4, 1, 16)]
    [InlineData(3, 0, 24)]
    [InlineData(2, 1, 0)]
    [InlineData(1, 0, 0)]
    public void Regrouped_codes_decode_bit_exactly_as_the_float32_decoder(int bits, int flags, int group)
    {
        const int N = 5, K = 77;
        int g = group == 0 ? K : group, perRow = (K + g - 1) / g;
        var rng = new Random(bits);
        float[] scales = Enumerable.Range(0, N * perRow).Select(_ => rng.NextSingle()).ToArray();
        byte[] zps = flags == 1 ? Pad4(Enumerable.Range(0, N * perRow).Select(_ => (byte)rng.Next(256)).ToArray()) : [];
        int[] codes = Enumerable.Range(0, N * K).Select(_ => rng.Next(1 << bits)).ToArray();
        byte[] payload = Concat([(byte)bits, (byte)flags, 0, 0], U32((uint)g), F32(scales), zps, Bits(codes, bits));

        DirectWeights direct = DirectWeights.TryCreate(4, payload, N, K, "w")!;
        float[] expected = CompactDecoder.Decode(4, payload, N, K, "w", SimdLevel.Scalar);
        Assert.Equal(expected, direct.Dequantize());
        var row = new float[K];
        for (int r = 0; r < N; r++)
        {
            DirectDense.DecodeRow(System.Runtime.Intrinsics.X86.Avx2.IsSupported, direct, r, row);
            Assert.Equal(expected.AsSpan(r * K, K).ToArray(), row);
        }
    }

    private static void Check(int level, byte code, byte[] payload, int rows, int n, int k, double[] wd, bool expectDirect)
    {
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = code }]));
        WeightMatrix w = blob.DenseMatrix(0);
        Assert.Equal(expectDirect, w.Direct is not null);
        var rng = new Random(rows + n + k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        bool relu = (rows + n) % 2 == 0;
        var y = new float[rows * n];

        Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, relu ? Activation.Relu : Activation.None);

        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6, magnitude);
    }
}
