using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class LogicOpTests
{
    [Theory]
    [InlineData(CompareFunction.Equal)]
    [InlineData(CompareFunction.Less)]
    [InlineData(CompareFunction.Greater)]
    [InlineData(CompareFunction.LessOrEqual)]
    [InlineData(CompareFunction.GreaterOrEqual)]
    public void Compare_FloatsAndLongs_BroadcastLikeNumpy(CompareFunction f)
    {
        float[] a = [1, 2, float.NaN, -1, 0, 5];
        float[] b = [2, 2, float.NaN];
        Func<double, double, bool> expected = f switch
        {
            CompareFunction.Equal => (x, y) => x == y,
            CompareFunction.Less => (x, y) => x < y,
            CompareFunction.Greater => (x, y) => x > y,
            CompareFunction.LessOrEqual => (x, y) => x <= y,
            _ => (x, y) => x >= y,
        };

        var h = new OpHarness();
        var (fa, fb, fy) = (h.ConstFloats(a, 2, 3), h.ConstFloats(b, 3), h.Output(TensorType.Bool));
        var (la, lb, ly) = (h.ConstLongs([1, 2, 3, -1, 0, 5], 2, 3), h.ConstLongs([2], 1, 1), h.Output(TensorType.Bool));
        var c = h.Run(new CompareOp(fa, fb, fy, f), new CompareOp(la, lb, ly, f));

        Assert.Equal([2, 3], c.Shape(fy).ToArray());
        Assert.Equal(Enumerable.Range(0, 6).Select(i => expected(a[i], b[i % 3])), c.Bools(fy).ToArray());
        long[] longs = [1, 2, 3, -1, 0, 5];
        Assert.Equal(longs.Select(v => expected(v, 2)), c.Bools(ly).ToArray());
    }

    [Fact]
    public void Equal_OfBools_And_Logic_And_Not()
    {
        bool[] a = [true, false, true, false, true, true];
        bool[] b = [true, false];
        var h = new OpHarness();
        var (ia, ib) = (h.ConstBools(a, 3, 2), h.ConstBools(b, 1, 2));
        int eq = h.Output(TensorType.Bool), and = h.Output(TensorType.Bool), or = h.Output(TensorType.Bool), xor = h.Output(TensorType.Bool), not = h.Output(TensorType.Bool);
        var c = h.Run(
            new CompareOp(ia, ib, eq, CompareFunction.Equal),
            new LogicalOp(ia, ib, and, LogicalFunction.And),
            new LogicalOp(ia, ib, or, LogicalFunction.Or),
            new LogicalOp(ia, ib, xor, LogicalFunction.Xor),
            new NotOp(ia, not));

        var i6 = Enumerable.Range(0, 6).ToArray();
        Assert.Equal(i6.Select(i => a[i] == b[i % 2]), c.Bools(eq).ToArray());
        Assert.Equal(i6.Select(i => a[i] && b[i % 2]), c.Bools(and).ToArray());
        Assert.Equal(i6.Select(i => a[i] || b[i % 2]), c.Bools(or).ToArray());
        Assert.Equal(i6.Select(i => a[i] != b[i % 2]), c.Bools(xor).ToArray());
        Assert.Equal(a.Select(v => !v), c.Bools(not).ToArray());
        Assert.Equal([3, 2], c.Shape(xor).ToArray());
    }

    [Fact]
    public void Compare_ShapesThatDoNotBroadcast_FailNamingTheNode()
    {
        var h = new OpHarness();
        var op = new CompareOp(h.ConstFloats(new float[6], 2, 3), h.ConstFloats(new float[2], 2), h.Output(TensorType.Bool), CompareFunction.Less) { Node = "cmp" };
        var ex = Assert.Throws<ArgumentException>(() => h.Run(op));
        Assert.Contains("'cmp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FloatTests_ClassifyNaNAndInfinities()
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -1e38f, float.MaxValue];
        var h = new OpHarness();
        var ix = h.ConstFloats(x, 6);
        int nan = h.Output(TensorType.Bool), inf = h.Output(TensorType.Bool), pos = h.Output(TensorType.Bool), neg = h.Output(TensorType.Bool);
        var c = h.Run(new FloatTestOp(ix, nan, FloatTest.NaN), new FloatTestOp(ix, inf, FloatTest.Infinity),
            new FloatTestOp(ix, pos, FloatTest.PositiveInfinity), new FloatTestOp(ix, neg, FloatTest.NegativeInfinity));
        Assert.Equal([true, false, false, false, false, false], c.Bools(nan).ToArray());
        Assert.Equal([false, true, true, false, false, false], c.Bools(inf).ToArray());
        Assert.Equal([false, true, false, false, false, false], c.Bools(pos).ToArray());
        Assert.Equal([false, false, true, false, false, false], c.Bools(neg).ToArray());
    }

    [Fact]
    public void Where_BroadcastsAllThreeOperands()
    {
        int[] sc = [2, 1, 1], sx = [1, 3, 1], sy = [4];
        var rng = new Random(3);
        bool[] cond = [true, false];
        float[] x = TestData.Floats(rng, 3);
        float[] y = TestData.Floats(rng, 4);
        long[] xl = [10, 20, 30];
        long[] yl = [-1, -2, -3, -4];
        var h = new OpHarness();
        var ic = h.ConstBools(cond, sc);
        var (fo, lo, bo) = (h.Output(TensorType.Float32), h.Output(TensorType.Int64), h.Output(TensorType.Bool));
        var c = h.Run(
            new WhereOp(ic, h.ConstFloats(x, sx), h.ConstFloats(y, sy), fo),
            new WhereOp(ic, h.ConstLongs(xl, sx), h.ConstLongs(yl, sy), lo),
            new WhereOp(ic, h.ConstBools([true, true, true], sx), h.ConstBools([false, false, false, false], sy), bo));

        int[] shape = BroadcastReference.Shape(sc, sx, sy);
        Assert.Equal([2, 3, 4], c.Shape(fo).ToArray());
        var n = Enumerable.Range(0, 24).ToArray();
        bool Pick(int i) => cond[BroadcastReference.Offset(i, shape, sc)];
        Assert.Equal(n.Select(i => Pick(i) ? x[BroadcastReference.Offset(i, shape, sx)] : y[BroadcastReference.Offset(i, shape, sy)]), c.Floats(fo).ToArray());
        Assert.Equal(n.Select(i => Pick(i) ? xl[BroadcastReference.Offset(i, shape, sx)] : yl[BroadcastReference.Offset(i, shape, sy)]), c.Longs(lo).ToArray());
        Assert.Equal(n.Select(Pick), c.Bools(bo).ToArray());
    }
}
