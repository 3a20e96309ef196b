namespace ModelBuild.Runtime.Tests;

public sealed class DenseTests
{
    // Sizes chosen so every block and tail runs: n mod 4 ≠ 0 (1×1 tail), odd rows (4×1 block), k below, at and
    // above the vector widths (scalar k tail after 8- and 4-wide loops); rows ≥ 4 with int8 take DenseBatch.
    private static readonly (int Rows, int N, int K)[] Sizes =
        [(1, 1, 1), (1, 4, 8), (2, 5, 3), (3, 7, 17), (5, 13, 33), (4, 16, 64), (1, 10, 128), (6, 11, 100), (2, 3, 1023), (9, 6, 515), (64, 8, 40), (1, 4, 57), (1, 8, 1000)];

    public static TheoryData<int, WeightFormat, int, int, int> Cases() => TestData.LevelFormatSizes(Sizes);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dense_MatchesFloat64Reference(int level, WeightFormat format, int rows, int n, int k)
    {
        var rng = new Random((rows * 1000) + (n * 10) + k);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k);
        float[] bias = TestData.Floats(rng, n);
        bool relu = (rows + n) % 2 == 0;
        var y = new float[rows * n];

        Kernels.Dense((SimdLevel)level, x, w, bias, y, rows, relu ? Activation.Relu : Activation.None);

        double[] expected = Reference.Dense(x, wd, bias, rows, n, k, relu, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    [Fact]
    public void Dense_PublicEntry_NoBias_784To256_Batch3()
    {
        var rng = new Random(7);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Int8, 256, 784);
        float[] x = TestData.Floats(rng, 3 * 784, 0, 1);
        var y = new float[3 * 256];

        Kernels.Dense(x, w, [], y, 3, Activation.None);

        double[] expected = Reference.Dense(x, wd, null, 3, 256, 784, false, out double[] magnitude);
        TestData.AssertClose(expected, y, Tolerances.Dot, 1e-7, magnitude);
    }

    [Fact]
    public void Dense_WrongLengths_ThrowArgumentExceptionWithExpectedLength()
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random(1), WeightFormat.Float32, 4, 6);
        var ex = Assert.Throws<ArgumentException>(() => Kernels.Dense(new float[11], w, [], new float[8], 2, Activation.None));
        Assert.Contains("12", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Kernels.Dense(new float[12], w, [], new float[7], 2, Activation.None));
        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Kernels.Dense(new float[12], w, new float[3], new float[8], 2, Activation.None));
        Assert.Equal("bias", ex.ParamName);
    }
}
