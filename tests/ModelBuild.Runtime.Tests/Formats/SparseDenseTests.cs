using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// Dense over sparse weights kept as CSR (<see cref="SparseWeights"/>, <see cref="SparseDense"/>), at every SIMD level,
/// against float64 dot products of the dense values; and which blob entries the runtime keeps as CSR.
/// </summary>
public sealed class SparseDenseTests
{
    // 1–7 rows (per-row dots: gathers of 16, 8 and a scalar tail), 8, 13, 64 and 75 rows (panels of 8 and 64, then
    // leftover rows), rows with no nonzeros, K above 256.
    private static readonly (int Rows, int N, int K, double Density)[] Sizes =
        [(1, 7, 83, 0.2), (3, 9, 300, 0.1), (7, 5, 40, 0.5), (8, 6, 97, 0.15), (13, 11, 64, 0.3), (64, 5, 33, 0.25), (75, 4, 130, 0.1), (2, 3, 5, 0)];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Csr_dense_equals_float64(int level)
    {
        foreach ((int rows, int n, int k, double density) in Sizes)
        {
            var rng = new Random(rows + (31 * n) + k);
            float[] dense = Enumerable.Range(0, n * k).Select(_ => rng.NextDouble() < density ? rng.NextSingle() - 0.5f : 0f).ToArray();
            SparseWeights sparse = SparseWeights.TryCreate(dense, n, k, 1)!;
            var w = new WeightMatrix(sparse);
            float[] x = TestData.Floats(rng, rows * k);
            float[] bias = TestData.Floats(rng, n);
            bool relu = rows % 2 == 0;
            var y = new float[rows * n];

            Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, relu ? Activation.Relu : Activation.None);

            double[] expected = Reference.Dense(x, [.. dense.Select(v => (double)v)], bias, rows, n, k, relu, out double[] magnitude);
            TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6, magnitude);
            Assert.Equal(dense, sparse.Dequantize());
        }
    }

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.2, true)]
    [InlineData(0.5, false)]
    public void A_sparse_entry_is_kept_as_csr_up_to_the_density_limit(double density, bool csr)
    {
        const int N = 16, K = 64;
        var rng = new Random(7);
        int[] mask = Enumerable.Range(0, N * K).Select(_ => rng.NextDouble() < density ? 1 : 0).ToArray();
        float[] kept = mask.Where(m => m == 1).Select(_ => 0.25f + rng.NextSingle()).ToArray();
        byte[] index = Bits(mask, 1);
        byte[] payload = Concat([0, 1, 0, 0], U32((uint)kept.Length), U32((uint)index.Length), Pad4(index), F32(kept));
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [N, K], payload) { FormatOverride = 8 }]));

        WeightMatrix m = blob.DenseMatrix(0);
        Assert.Equal(csr, m.Sparse is not null);
        float[] x = TestData.Floats(rng, K);
        var y = new float[N];
        Kernels.Dense(x, m, [], y, 1, Activation.None);

        float[] dense = blob.Floats(0);
        double[] expected = Reference.Dense(x, [.. dense.Select(v => (double)v)], null, 1, N, K, false, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6, magnitude);
        Assert.Equal(kept.Length, dense.Count(v => v != 0));
        if (csr)
        {
            Assert.Equal((4 * (N + 1)) + (6 * kept.Length), m.Sparse!.ByteCount);
        }
    }
}
