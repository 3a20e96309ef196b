using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// Dense over fp16 and bf16 weights kept in 16 bits (<see cref="HalfWeights"/>), at every SIMD level, against float64
/// dot products of the values the formats define (Half → float, bf16 bits as a float's top half).
/// </summary>
public sealed class HalfDenseTests
{
    // 1, 3 and 5 rows (4-row blocks widened into the scratch), 9 and 20 (DirectGemm), odd K, K across two Kc blocks.
    private static readonly (int Rows, int N, int K)[] Sizes = [(1, 7, 83), (3, 9, 64), (5, 6, 97), (9, 7, 83), (20, 13, 300), (1, 3, 5)];

    [Theory]
    [InlineData(0, 6)]
    [InlineData(1, 6)]
    [InlineData(2, 6)]
    [InlineData(0, 7)]
    [InlineData(1, 7)]
    [InlineData(2, 7)]
    public void Half_dense_equals_float64(int level, byte code)
    {
        foreach ((int rows, int n, int k) in Sizes)
        {
            var rng = new Random(rows + (31 * n) + k + code);
            float[] values = Enumerable.Range(0, n * k).Select(_ => rng.NextSingle() - 0.5f).ToArray();
            ushort[] bits = code == 6
                ? values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray()
                : values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
            double[] wd = code == 6
                ? bits.Select(b => (double)(float)BitConverter.UInt16BitsToHalf(b)).ToArray()
                : bits.Select(b => (double)BitConverter.Int32BitsToSingle(b << 16)).ToArray();
            WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], U16(bits)) { FormatOverride = code }]));
            WeightMatrix w = blob.DenseMatrix(0);
            float[] x = TestData.Floats(rng, rows * k);
            float[] bias = TestData.Floats(rng, n);
            bool relu = (rows + n) % 2 == 0;
            var y = new float[rows * n];

            Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, relu ? Activation.Relu : Activation.None);

            double[] expected = Reference.Dense(x, wd, bias, rows, n, k, relu, out double[] magnitude);
            TestData.AssertClose(expected, y, Tolerances.Dot, 1e-6, magnitude);
            Assert.NotNull(w.Half);
            Assert.Equal(2L * n * k, w.Half!.ByteCount);
            Assert.False(w.HasDecodedCopy);
            Assert.False(w.HasPackedDense);
            Assert.Equal(wd.Select(v => (float)v).ToArray(), blob.Floats(0)); // other consumers: the exact decoding
        }
    }
}
