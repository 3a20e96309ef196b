using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="WeightMatrix.ReadRows"/>, which the weight packers read instead of a whole dequantised copy, must give
/// every row exactly as <see cref="WeightMatrix.Dequantize"/> does, for every stored format.
/// </summary>
public sealed class WeightRowsTests
{
    public static TheoryData<WeightFormat> Formats() => [.. Enum.GetValues<WeightFormat>()];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Rows_AreDequantizesRows_BitForBit(WeightFormat format)
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random((int)format), format, 13, 37);
        AssertRowsMatch(w);
    }

    [Fact]
    public void SparseRows_AreDequantizesRows_BitForBit()
    {
        var rng = new Random(3);
        float[] dense = [.. Enumerable.Range(0, 9 * 40).Select(_ => rng.NextDouble() < 0.2 ? rng.NextSingle() - 0.5f : 0f)];
        AssertRowsMatch(new WeightMatrix(SparseWeights.TryCreate(dense, 9, 40, 1)!));
    }

    private static void AssertRowsMatch(WeightMatrix w)
    {
        float[] all = w.Dequantize();
        var buffer = new float[w.Cols];
        WeightMatrix.RowReader rows = w.ReadRows(buffer);
        for (int r = 0; r < w.Rows; r++)
        {
            Assert.Equal(all.AsSpan(r * w.Cols, w.Cols).ToArray(), rows[r].ToArray());
        }
    }
}
