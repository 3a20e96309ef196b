using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// 4-bit codes read through a 16-entry table (Table16GemvZmm with AVX-512, the AVX2 kernels otherwise) over every K that
/// lands on a different mix of its parts: 128-column spans, 32-column spans, whole and partial 16-column blocks, and K
/// below one block; 1–3 input rows (the GEMV) and 9 (DirectGemm, rows decoded through the table); partial weight-row
/// quads; palettes shared by several rows; per-channel int4 with zero points across the whole code range. Against
/// float64 dots of the values docs/FORMATS.md defines, and the scalar level.
/// </summary>
public sealed class FourBitTableTests
{
    private static readonly int[] Ks = [1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 63, 64, 65, 96, 111, 127, 128, 129, 143, 144, 145, 159, 160, 161, 191, 192, 255, 256, 257, 272, 287, 288, 300, 383, 384, 385, 531];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Palettes_equal_float64_at_every_k(int rowsPerBook)
    {
        foreach (int k in Ks)
        {
            foreach ((int rows, int n) in new[] { (1, 1), (1, 5), (2, 4), (3, 9), (9, 6) })
            {
                var rng = new Random(k * 31 + n + rowsPerBook);
                int books = (n + rowsPerBook - 1) / rowsPerBook;
                float[] tables = [.. Enumerable.Range(0, books * 16).Select(_ => rng.NextSingle() - 0.5f)];
                int[] codes = [.. Enumerable.Range(0, n * k).Select(_ => rng.Next(16))];
                double[] wd = [.. codes.Select((u, i) => (double)tables[(i / k / rowsPerBook * 16) + u])];
                byte[] payload = Concat([4, 0, 0, 0], U32((uint)rowsPerBook), F32(tables), Bits(codes, 4));
                Run(5, payload, rows, n, k, wd, $"pal k={k} rows={rows} n={n}");
            }
        }
    }

    [Fact]
    public void Per_channel_int4_with_zero_points_equals_float64_at_every_k()
    {
        foreach (int k in Ks)
        {
            foreach ((int rows, int n) in new[] { (1, 1), (1, 5), (2, 4), (3, 9), (9, 6) })
            {
                var rng = new Random(k * 17 + n);
                float[] scales = [.. Enumerable.Range(0, n).Select(_ => 0.01f + (0.1f * rng.NextSingle()))];
                sbyte[] zps = [.. Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-8, 8))];
                int[] codes = [.. Enumerable.Range(0, n * k).Select(_ => rng.Next(16))];
                double[] wd = [.. codes.Select((u, i) => (double)(float)((u - 8 - zps[i / k]) * (double)scales[i / k]))];
                byte[] payload = Concat([4, 1, 0, 0], U32((uint)k), F32(scales), Pad4([.. zps.Select(z => (byte)z)]), Bits(codes, 4));
                Run(4, payload, rows, n, k, wd, $"lin k={k} rows={rows} n={n}");
            }
        }
    }

    /// <summary>
    /// Where the AVX2 kernels multiply in fixed point, the bound their rounding of x adds: Σ|w|·|x − x̂| with |x − x̂| ≤
    /// 2^−13 of each 256-column block's largest |x| at batch 1–3 (<see cref="DirectDense.FixedPoint4"/>,
    /// <see cref="DirectDense.FixedPointPalette"/>) and 2^−15 in the batched GEMM (<see cref="FixedPointGemm"/>); zero elsewhere.
    /// </summary>
    private static double[] FixedPointRounding(int level, WeightMatrix matrix, float[] x, double[] wd, int rows, int n, int k)
    {
        var bound = new double[rows * n];
        DirectWeights w = matrix.Direct!;
        bool gemv = level == 2 && rows <= DirectDense.MaxDirectRows && DirectDense.FixedPoint4Enabled
            && (DirectDense.FixedPoint4Takes(w) || DirectDense.FixedPointPaletteTakes(w));
        bool gemm = level == 2 && FixedPointGemm.Applies(SimdLevel.Vector256, rows, matrix);
        double fraction = gemv ? Math.Pow(2, -13) : Math.Pow(2, -15);
        for (int r = 0; (gemv || gemm) && r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int c = 0; c < k; c++)
                {
                    int start = c / FixedPointInputs.BlockSize * FixedPointInputs.BlockSize;
                    double blockMax = x.AsSpan((r * k) + start, Math.Min(FixedPointInputs.BlockSize, k - start)).ToArray().Max(v => Math.Abs((double)v));
                    bound[(r * n) + j] += Math.Abs(wd[(j * k) + c]) * blockMax * fraction;
                }
            }
        }

        return bound;
    }

    private static void Run(byte format, byte[] payload, int rows, int n, int k, double[] wd, string what)
    {
        WeightMatrix w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = format }])).DenseMatrix(0);
        Assert.NotNull(w.Direct);
        float[] x = TestData.Floats(new Random(k + rows), rows * k);
        float[] bias = TestData.Floats(new Random(n), n);
        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, false, out double[] magnitude);
        foreach (int level in new[] { 0, 2 })
        {
            var y = new float[rows * n];
            Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, Activation.None);
            double[] rounding = FixedPointRounding(level, w, x, wd, rows, n, k);
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(Math.Abs(y[i] - expected[i]) <= (1e-5 * (magnitude[i] + 1)) + rounding[i], $"{what} level={level} i={i}: {y[i]} vs {expected[i]}");
            }
        }
    }
}
