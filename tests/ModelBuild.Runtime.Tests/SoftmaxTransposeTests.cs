namespace ModelBuild.Runtime.Tests;

public sealed class SoftmaxTransposeTests
{
    public static TheoryData<int, int, int, int> SoftmaxCases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int level in TestData.Levels)
        {
            foreach ((int o, int a, int i) in new[] { (1, 10, 1), (3, 1, 1), (2, 7, 1), (4, 33, 1), (1, 1000, 1), (2, 37, 1), (3, 6625, 1), (2, 5, 3), (3, 4, 8), (2, 6, 19) })
            {
                data.Add(level, o, a, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void Softmax_MatchesReference_AndIsStableForLargeInputs(int level, int outer, int axis, int inner)
    {
        // Inputs up to 500: e^500 overflows float, so only a max-subtracted softmax passes.
        float[] x = TestData.Floats(new Random(axis), outer * axis * inner, -20, 500);
        var y = new float[x.Length];
        Kernels.Softmax((SimdLevel)level, x, y, outer, axis, inner);
        TestData.AssertClose(Reference.Softmax(x, outer, axis, inner), y, Tolerances.Elementwise, Tolerances.TranscendentalAbsolute);

        // In place gives the same answer.
        Kernels.Softmax((SimdLevel)level, x, x, outer, axis, inner);
        Assert.Equal(y, x);
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 1, 0 })]
    [InlineData(new[] { 2, 3, 5 }, new[] { 2, 0, 1 })]
    [InlineData(new[] { 2, 3, 5 }, new[] { 0, 2, 1 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 0, 2 })]
    [InlineData(new[] { 7 }, new[] { 0 })]
    [InlineData(new[] { 1, 6, 1, 2 }, new[] { 2, 3, 0, 1 })]
    public void Transpose_MatchesReference(int[] shape, int[] perm)
    {
        const int batch = 2;
        float[] x = TestData.Floats(new Random(shape.Length), batch * shape.Aggregate(1, (p, d) => p * d));
        var y = new float[x.Length];
        Kernels.Transpose(x, y, shape, perm, batch);
        Assert.Equal(Reference.Transpose(x, shape, perm, batch), y);
    }

    [Fact]
    public void Transpose_RejectsNonPermutation()
    {
        Assert.Throws<ArgumentException>(() => Kernels.Transpose(new float[6], new float[6], [2, 3], [1, 1], 1));
        Assert.Throws<ArgumentException>(() => Kernels.Transpose(new float[6], new float[6], [2, 3], [0], 1));
    }
}
