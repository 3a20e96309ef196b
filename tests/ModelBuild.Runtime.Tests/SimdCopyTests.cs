namespace ModelBuild.Runtime.Tests;

/// <summary><see cref="Simd.Copy"/>: the kernels' per-row copy (its last step overlaps the one before it).</summary>
public sealed class SimdCopyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(196)]
    [InlineData(1001)]
    public void Copy_WritesExactlyTheSourceAndNothingAfterIt(int n)
    {
        var rng = new Random(n);
        float[] source = TestData.Floats(rng, n);
        var destination = new float[n + 9];
        Array.Fill(destination, float.NaN);
        Simd.Copy(source, destination);
        Assert.Equal(source, destination[..n]);
        Assert.All(destination[n..], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Copy_RejectsAShorterDestination()
    {
        var error = Assert.Throws<ArgumentException>(() => Simd.Copy(new float[9], new float[8]));
        Assert.Contains("needs 9", error.Message, StringComparison.Ordinal);
    }
}
