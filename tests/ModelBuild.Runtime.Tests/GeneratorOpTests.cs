using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>ConstantOfShape, Range, Size, EyeLike and OneHot against element-by-element references.</summary>
public sealed class GeneratorOpTests
{
    [Fact]
    public void ConstantOfShape_FillsTheComputedShape_InEachType()
    {
        var h = new OpHarness();
        var shape = h.Longs([2, 0, 3], 3);
        var shape2 = h.Longs([3, 5], 2);
        var scalar = h.ConstLongs([], 0);
        var yf = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var yb = h.Output(TensorType.Bool);
        var ys = h.Output(TensorType.Float32);
        var c = h.Run(
            new ConstantOfShapeOp(shape, yf, 1.5f, 0),
            new ConstantOfShapeOp(shape2, yl, 0f, -7),
            new ConstantOfShapeOp(shape2, yb, 0f, 1),
            new ConstantOfShapeOp(scalar, ys, 4f, 0));

        Assert.Equal([2, 0, 3], c.Shape(yf).ToArray());
        Assert.Empty(c.Floats(yf).ToArray());
        Assert.Equal(Enumerable.Repeat(-7L, 15), c.Longs(yl).ToArray());
        Assert.Equal(Enumerable.Repeat(true, 15), c.Bools(yb).ToArray());
        Assert.Empty(c.Shape(ys).ToArray());
        Assert.Equal([4f], c.Floats(ys).ToArray());
    }

    [Fact]
    public void ConstantOfShape_RejectsANegativeDim()
    {
        var h = new OpHarness();
        var shape = h.Longs([2, -1], 2);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new ConstantOfShapeOp(shape, y, 0f, 0)));
    }

    [Theory]
    [InlineData(0, 10, 3)]
    [InlineData(10, 0, -3)]
    [InlineData(5, 5, 1)]
    [InlineData(5, 1, 2)]     // empty: wrong direction
    [InlineData(-7, 8, 5)]
    [InlineData(-7, 9, 5)]
    public void Range_Int64_MatchesArange(long start, long limit, long delta)
    {
        var h = new OpHarness();
        var s = h.Longs([start], []);
        var l = h.ConstLongs([limit], []);
        var d = h.ConstLongs([delta], []);
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new RangeOp(s, l, d, y));

        var expected = new List<long>();
        for (var v = start; delta > 0 ? v < limit : v > limit; v += delta)
        {
            expected.Add(v);
        }

        Assert.Equal(expected, c.Longs(y).ToArray());
    }

    [Theory]
    [InlineData(1f, 5f, 0.5f)]
    [InlineData(3f, -2.2f, -0.7f)]
    [InlineData(0f, 1f, 0.1f)]
    public void Range_Float_MatchesArange(float start, float limit, float delta)
    {
        var h = new OpHarness();
        var s = h.Floats([start], []);
        var l = h.ConstFloats([limit], []);
        var d = h.ConstFloats([delta], []);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new RangeOp(s, l, d, y));

        var count = (int)Math.Max(0, Math.Ceiling(((double)limit - start) / delta));
        var expected = Enumerable.Range(0, count).Select(i => start + (i * (double)delta)).ToArray();
        TestData.AssertClose(expected, c.Floats(y), Tolerances.FewRoundings, Tolerances.FewRoundings);
        Assert.Equal(count, c.Count(y));
    }

    [Fact]
    public void Range_RejectsAZeroDelta()
    {
        var h = new OpHarness();
        var s = h.Longs([0], []);
        var d = h.ConstLongs([0], []);
        var y = h.Output(TensorType.Int64);
        Assert.Throws<ArgumentException>(() => h.Run(new RangeOp(s, s, d, y)));
    }

    [Fact]
    public void Size_CountsElements()
    {
        var h = new OpHarness();
        var x = h.Bools(new bool[30], 2, 3, 5);
        var e = h.Floats([], 4, 0);
        var y = h.Output(TensorType.Int64);
        var z = h.Output(TensorType.Int64);
        var c = h.Run(new SizeOp(x, y), new SizeOp(e, z));
        Assert.Equal([30L], c.Longs(y).ToArray());
        Assert.Empty(c.Shape(y).ToArray());
        Assert.Equal([0L], c.Longs(z).ToArray());
    }

    [Theory]
    [InlineData(3, 4, 0)]
    [InlineData(3, 4, 2)]
    [InlineData(5, 3, -2)]
    [InlineData(4, 4, 9)]
    [InlineData(4, 4, -9)]
    public void EyeLike_PutsOnesOnDiagonalK(int rows, int cols, int k)
    {
        var h = new OpHarness();
        var x = h.Longs(new long[rows * cols], rows, cols);
        var yf = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var yb = h.Output(TensorType.Bool);
        var c = h.Run(new EyeLikeOp(x, yf, k), new EyeLikeOp(x, yl, k), new EyeLikeOp(x, yb, k));

        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                var one = j - i == k;
                Assert.Equal(one ? 1f : 0f, c.Floats(yf)[(i * cols) + j]);
                Assert.Equal(one ? 1L : 0L, c.Longs(yl)[(i * cols) + j]);
                Assert.Equal(one, c.Bools(yb)[(i * cols) + j]);
            }
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-3)]
    public void OneHot_InsertsTheDepthAxis(int axis)
    {
        int[] shape = [2, 3];
        long[] indices = [0, 4, -1, -5, 7, 2]; // depth 5: -1 → 4, -5 → 0, 7 is out of range
        var h = new OpHarness();
        var ii = h.Longs(indices, shape);
        var depth = h.ConstFloats([5.7f], 1); // float depth truncates to 5
        var values = h.ConstFloats([-2f, 3f], 2);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new OneHotOp(ii, depth, values, y, axis));

        var a = axis < 0 ? axis + 3 : axis;
        var ys = shape.Take(a).Append(5).Concat(shape.Skip(a)).ToArray();
        Assert.Equal(ys, c.Shape(y).ToArray());
        for (var o = 0; o < Nd.Count(ys); o++)
        {
            var index = Nd.Unravel(o, ys);
            var at = index.Where((_, d) => d != a).ToArray();
            var k = indices[Nd.Ravel(at, shape)];
            k = k < 0 ? k + 5 : k;
            Assert.Equal(k == index[a] ? 3f : -2f, c.Floats(y)[o]);
        }
    }

    [Fact]
    public void OneHot_TakesFloatIndices_AndInt64Values()
    {
        var h = new OpHarness();
        var ii = h.Floats([1.9f, 0f, 2f], 3);
        var depth = h.ConstLongs([3], []);
        var values = h.ConstLongs([0, 9], 2);
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new OneHotOp(ii, depth, values, y, -1));
        Assert.Equal([0L, 9, 0, 9, 0, 0, 0, 0, 9], c.Longs(y).ToArray());
    }
}
