namespace ModelBuild.Runtime.Tests;

public sealed class EdgeCaseTests
{
    [Fact]
    public void EmptyBatches_DoNothing()
    {
        (WeightMatrix w, _) = TestData.Matrix(new Random(1), WeightFormat.Int8, 4, 9);
        var s = new Conv2DShape(1, 5, 5, 4, 3, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        float[] sentinel = [42f];

        Kernels.Dense([], w, [], sentinel, 0, Activation.None);
        Kernels.Conv2D([], w, [], sentinel, new float[Kernels.Conv2DScratch(s)], s, 0, Activation.None);
        Kernels.MaxPool2D([], sentinel, new Pool2DShape(1, 2, 2, 1, 1, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0), 0);
        Kernels.Binary(BinaryFunction.Add, [], [3], true, [1f, 2f, 3f], [3], false, sentinel, [3], 0);
        Kernels.Softmax([], sentinel, 0, 3, 1);
        Kernels.Transpose([], sentinel, [2, 3], [1, 0], 0);
        Kernels.GlobalAveragePool([], sentinel, 0, 4);
        Kernels.ChannelAffine([], sentinel, [1f], [0f], 1, 4, 0);
        Kernels.Unary(UnaryFunction.Exp, [], sentinel, 0, 0);

        Assert.Equal(42f, sentinel[0]);
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Binary_InPlaceOnLeftOperand_MatchesOutOfPlace(int level)
    {
        int[] shape = [6, 5, 5], chan = [6, 1, 1];
        float[] a = TestData.Floats(new Random(4), 2 * 150);
        float[] bias = TestData.Floats(new Random(5), 6);
        var y = new float[a.Length];
        Kernels.Binary((SimdLevel)level, BinaryFunction.Sub, a, shape, true, bias, chan, false, y, shape, 2);
        Kernels.Binary((SimdLevel)level, BinaryFunction.Sub, a, shape, true, bias, chan, false, a, shape, 2);
        Assert.Equal(y, a);
    }

    [Fact]
    public void Dense_Relu_KeepsNaN_AndClampsNegatives()
    {
        var w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [2, 1], BlobWriter.Float32([1f, -1f]))])).Matrix(0);
        var y = new float[4];
        Kernels.Dense([float.NaN, 3f], w, [], y, 2, Activation.Relu);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
        Assert.Equal([3f, 0f], y[2..]);
    }

    /// <summary>The same through the 4-channel blocks' vector epilogue (8 channels; one row, and a pair of rows), at every SIMD level.</summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public void Dense_Relu_KeepsNaN_InFourChannelBlocks(int level, int rows)
    {
        float[] weights = [.. Enumerable.Range(0, 8).Select(j => j % 2 == 0 ? 1f : -1f)];
        var w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [8, 1], BlobWriter.Float32(weights))])).Matrix(0);
        float[] x = rows == 1 ? [float.NaN] : [float.NaN, 3f];
        var y = new float[rows * 8];
        Kernels.Dense((SimdLevel)level, x, w, [], y, rows, Activation.Relu);
        Assert.All(y[..8], v => Assert.True(float.IsNaN(v), $"expected NaN, got {v}"));
        if (rows == 2)
        {
            Assert.Equal([3f, 0f, 3f, 0f, 3f, 0f, 3f, 0f], y[8..]);
        }
    }
}
