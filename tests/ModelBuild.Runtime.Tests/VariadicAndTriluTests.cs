using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class VariadicAndTriluTests
{
    private static readonly int[][] Shapes = [[2, 1, 3], [4, 1], [3], [1, 1, 1]];

    [Theory]
    [InlineData(VariadicFunction.Sum, 1)]
    [InlineData(VariadicFunction.Sum, 2)]
    [InlineData(VariadicFunction.Sum, 4)]
    [InlineData(VariadicFunction.Mean, 1)]
    [InlineData(VariadicFunction.Mean, 3)]
    [InlineData(VariadicFunction.Max, 3)]
    [InlineData(VariadicFunction.Min, 4)]
    public void Variadic_Floats_BroadcastAllInputs(VariadicFunction f, int count)
    {
        var rng = new Random(count);
        var shapes = Shapes[..count];
        float[][] data = shapes.Select(s => TestData.Floats(rng, s.Aggregate(1, (p, d) => p * d), -3, 3)).ToArray();
        var h = new OpHarness();
        int[] inputs = data.Select((d, i) => h.ConstFloats(d, shapes[i])).ToArray();
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new VariadicOp(inputs, y, f));

        int[] shape = BroadcastReference.Shape(shapes);
        Assert.Equal(shape, c.Shape(y).ToArray());
        var expected = new double[shape.Aggregate(1, (p, d) => p * d)];
        for (int i = 0; i < expected.Length; i++)
        {
            var values = data.Select((d, k) => (double)d[BroadcastReference.Offset(i, shape, shapes[k])]).ToArray();
            expected[i] = f switch
            {
                VariadicFunction.Sum => values.Sum(),
                VariadicFunction.Mean => values.Average(),
                VariadicFunction.Max => values.Max(),
                _ => values.Min(),
            };
        }

        TestData.AssertClose(expected, c.Floats(y), Tolerances.Elementwise, 1e-6);
    }

    [Fact]
    public void Variadic_Longs_SumMaxMin_And_MeanIsRefused()
    {
        var h = new OpHarness();
        int a = h.ConstLongs([1, -5, 7], 3), b = h.ConstLongs([10, 20], 2, 1), d = h.ConstLongs([-100], 1);
        int sum = h.Output(TensorType.Int64), max = h.Output(TensorType.Int64), min = h.Output(TensorType.Int64), one = h.Output(TensorType.Int64);
        var c = h.Run(new VariadicOp([a, b, d], sum, VariadicFunction.Sum), new VariadicOp([a, b, d], max, VariadicFunction.Max),
            new VariadicOp([d, a, b], min, VariadicFunction.Min), new VariadicOp([a], one, VariadicFunction.Max));
        Assert.Equal([2, 3], c.Shape(sum).ToArray());
        Assert.Equal([-89L, -95, -83, -79, -85, -73], c.Longs(sum).ToArray());
        Assert.Equal([10L, 10, 10, 20, 20, 20], c.Longs(max).ToArray());
        Assert.Equal([-100L, -100, -100, -100, -100, -100], c.Longs(min).ToArray());
        Assert.Equal([1L, -5, 7], c.Longs(one).ToArray());

        var mean = new OpHarness();
        var op = new VariadicOp([mean.ConstLongs([1], 1), mean.ConstLongs([2], 1)], mean.Output(TensorType.Int64), VariadicFunction.Mean);
        Assert.Throws<ArgumentException>(() => mean.Run(op));
    }

    [Fact]
    public void Variadic_IncompatibleShapes_Fail()
    {
        var h = new OpHarness();
        var op = new VariadicOp([h.ConstFloats(new float[3], 3), h.ConstFloats(new float[2], 2)], h.Output(TensorType.Float32), VariadicFunction.Sum);
        Assert.Throws<ArgumentException>(() => h.Run(op));
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, -1)]
    [InlineData(true, 7)]
    [InlineData(true, -7)]
    [InlineData(false, 0)]
    [InlineData(false, 2)]
    [InlineData(false, -2)]
    [InlineData(false, 9)]
    [InlineData(false, -9)]
    public void Trilu_KeepsTheTriangle_PerMatrixOfABatch(bool upper, long k)
    {
        int[] shape = [2, 3, 4, 5];
        float[] x = Enumerable.Range(1, 120).Select(i => (float)i).ToArray();
        long[] xl = x.Select(v => (long)v).ToArray();
        var h = new OpHarness();
        int kv = h.ConstLongs([k]);
        int yf = h.Output(TensorType.Float32), yl = h.Output(TensorType.Int64), yb = h.Output(TensorType.Bool);
        var c = h.Run(new TriluOp(h.ConstFloats(x, shape), kv, yf, upper), new TriluOp(h.ConstLongs(xl, shape), kv, yl, upper),
            new TriluOp(h.ConstBools(x.Select(_ => true).ToArray(), shape), kv, yb, upper));

        bool Keep(int flat)
        {
            int j = flat % 5, i = flat / 5 % 4;
            return upper ? j - i >= k : j - i <= k;
        }

        var n = Enumerable.Range(0, 120).ToArray();
        Assert.Equal(shape, c.Shape(yf).ToArray());
        Assert.Equal(n.Select(i => Keep(i) ? x[i] : 0f), c.Floats(yf).ToArray());
        Assert.Equal(n.Select(i => Keep(i) ? xl[i] : 0L), c.Longs(yl).ToArray());
        Assert.Equal(n.Select(Keep), c.Bools(yb).ToArray());
    }

    [Fact]
    public void Trilu_WithoutK_IsTheMainDiagonal_AndRank1Fails()
    {
        var h = new OpHarness();
        int y = h.Output(TensorType.Float32);
        var c = h.Run(new TriluOp(h.ConstFloats([1, 2, 3, 4, 5, 6], 3, 2), -1, y, Upper: false));
        Assert.Equal([1f, 0, 3, 4, 5, 6], c.Floats(y).ToArray());

        var bad = new OpHarness();
        var op = new TriluOp(bad.ConstFloats([1, 2], 2), -1, bad.Output(TensorType.Float32), Upper: true);
        Assert.Throws<ArgumentException>(() => bad.Run(op));
    }
}
