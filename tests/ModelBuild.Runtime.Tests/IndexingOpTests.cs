using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>GatherElements, GatherND, ScatterElements, ScatterND, Compress, ReverseSequence and NonZero against references.</summary>
public sealed class IndexingOpTests
{
    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4 }, 0)]
    [InlineData(new[] { 3, 4 }, new[] { 3, 6 }, 1)]
    [InlineData(new[] { 2, 3, 5 }, new[] { 2, 2, 5 }, -2)]
    [InlineData(new[] { 2, 3, 5 }, new[] { 1, 3, 2 }, 2)]
    public void GatherElements_ReadsAlongTheAxis(int[] xs, int[] ids, int axis)
    {
        var rng = new Random(axis + 5);
        var a = axis < 0 ? axis + xs.Length : axis;
        var indices = Enumerable.Range(0, Nd.Count(ids)).Select(_ => (long)rng.Next(-xs[a], xs[a])).ToArray();
        var x = TestData.Floats(rng, Nd.Count(xs));
        var h = new OpHarness();
        var xi = h.Floats(x, xs);
        var ii = h.Longs(indices, ids);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new GatherElementsOp(xi, ii, y, axis));

        Assert.Equal(ids, c.Shape(y).ToArray());
        for (var o = 0; o < indices.Length; o++)
        {
            var index = Nd.Unravel(o, ids);
            index[a] = (int)(indices[o] < 0 ? indices[o] + xs[a] : indices[o]);
            Assert.Equal(x[Nd.Ravel(index, xs)], c.Floats(y)[o]);
        }
    }

    [Fact]
    public void GatherElements_RejectsAnOutOfRangeIndex()
    {
        var h = new OpHarness();
        var x = h.Floats(new float[6], 2, 3);
        var i = h.Longs([0, 3], 1, 2);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new GatherElementsOp(x, i, y, 1)));
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 5, 2 }, 0)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 2, 3 }, 0)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 1 }, 1)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 4, 2 }, 1)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 1 }, 2)]
    public void GatherND_SelectsSlicesPerBatch(int[] xs, int[] ids, int b)
    {
        var rng = new Random(ids.Sum());
        var k = ids[^1];
        var indices = new long[Nd.Count(ids)];
        for (var i = 0; i < indices.Length; i++)
        {
            var n = xs[b + (i % k)];
            indices[i] = rng.Next(-n, n);
        }

        var x = Nd.Longs(rng, Nd.Count(xs));
        var h = new OpHarness();
        var xi = h.Longs(x, xs);
        var ii = h.Longs(indices, ids);
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new GatherNDOp(xi, ii, y, b));

        var ys = ids[..^1].Concat(xs[(b + k)..]).ToArray();
        Assert.Equal(ys, c.Shape(y).ToArray());
        for (var o = 0; o < Nd.Count(ys); o++)
        {
            var index = Nd.Unravel(o, ys);
            var tuple = index[..(ids.Length - 1)];
            var at = new int[xs.Length];
            for (var d = 0; d < b; d++)
            {
                at[d] = index[d];
            }

            for (var j = 0; j < k; j++)
            {
                var raw = indices[(Nd.Ravel(tuple, ids[..^1]) * k) + j];
                at[b + j] = (int)(raw < 0 ? raw + xs[b + j] : raw);
            }

            for (var d = b + k; d < xs.Length; d++)
            {
                at[d] = index[ids.Length - 1 + d - b - k];
            }

            Assert.Equal(x[Nd.Ravel(at, xs)], c.Longs(y)[o]);
        }
    }

    [Theory]
    [InlineData(ScatterReduction.None, 0)]
    [InlineData(ScatterReduction.Add, 1)]
    [InlineData(ScatterReduction.Mul, -1)]
    [InlineData(ScatterReduction.Max, 0)]
    [InlineData(ScatterReduction.Min, 1)]
    public void ScatterElements_AppliesUpdatesInOrder_WithRepeatedIndices(ScatterReduction reduction, int axis)
    {
        int[] xs = [3, 4];
        int[] ids = [3, 3];
        var a = axis < 0 ? axis + 2 : axis;
        var rng = new Random((int)reduction);
        var indices = Enumerable.Range(0, 9).Select(_ => (long)rng.Next(-xs[a], xs[a])).ToArray();
        var x = TestData.Floats(rng, 12);
        var u = TestData.Floats(rng, 9);
        var xl = Nd.Longs(rng, 12, -50, 50);
        var ul = Nd.Longs(rng, 9, -50, 50);
        var h = new OpHarness();
        var xi = h.Floats(x, xs);
        var li = h.Longs(xl, xs);
        var ii = h.Longs(indices, ids);
        var ui = h.Floats(u, ids);
        var uli = h.Longs(ul, ids);
        var y = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var c = h.Run(new ScatterElementsOp(xi, ii, ui, y, axis, reduction), new ScatterElementsOp(li, ii, uli, yl, axis, reduction));

        var expected = x.Select(v => (double)v).ToArray();
        var expectedL = (long[])xl.Clone();
        for (var i = 0; i < 9; i++)
        {
            var index = Nd.Unravel(i, ids);
            index[a] = (int)(indices[i] < 0 ? indices[i] + xs[a] : indices[i]);
            var at = Nd.Ravel(index, xs);
            expected[at] = Reduce(reduction, expected[at], u[i]);
            expectedL[at] = (long)Reduce(reduction, expectedL[at], ul[i]);
        }

        TestData.AssertClose(expected, c.Floats(y), Tolerances.FewRoundings, Tolerances.FewRoundings);
        Assert.Equal(expectedL, c.Longs(yl).ToArray());
    }

    [Fact]
    public void ScatterElements_OnBools_Replaces_AndRefusesReductions()
    {
        var h = new OpHarness();
        var x = h.Bools([false, false, false, false], 4);
        var i = h.Longs([3, -4], 2);
        var u = h.Bools([true, true], 2);
        var y = h.Output(TensorType.Bool);
        var c = h.Run(new ScatterElementsOp(x, i, u, y, 0, ScatterReduction.None));
        Assert.Equal([true, false, false, true], c.Bools(y).ToArray());
        Assert.Throws<ArgumentException>(() => h.Run(new ScatterElementsOp(x, i, u, y, 0, ScatterReduction.Add)));
    }

    [Theory]
    [InlineData(ScatterReduction.None)]
    [InlineData(ScatterReduction.Add)]
    [InlineData(ScatterReduction.Mul)]
    [InlineData(ScatterReduction.Max)]
    [InlineData(ScatterReduction.Min)]
    public void ScatterND_UpdatesSlices(ScatterReduction reduction)
    {
        int[] xs = [4, 3, 5];
        long[] indices = [1, -1, 3, 0, 1, 2, 1, 2]; // [4, 2] tuples: (1,2), (3,0), (1,2) again, (1,2) again
        int[] us = [4, 5];
        var rng = new Random(7);
        var x = Nd.Longs(rng, Nd.Count(xs), -9, 9);
        var u = Nd.Longs(rng, Nd.Count(us), -9, 9);
        var h = new OpHarness();
        var xi = h.Longs(x, xs);
        var ii = h.ConstLongs(indices, 4, 2);
        var ui = h.Longs(u, us);
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new ScatterNDOp(xi, ii, ui, y, reduction));

        var expected = (long[])x.Clone();
        for (var t = 0; t < 4; t++)
        {
            var i0 = indices[2 * t] < 0 ? indices[2 * t] + 4 : indices[2 * t];
            var i1 = indices[(2 * t) + 1] < 0 ? indices[(2 * t) + 1] + 3 : indices[(2 * t) + 1];
            for (var j = 0; j < 5; j++)
            {
                var at = Nd.Ravel([(int)i0, (int)i1, j], xs);
                expected[at] = (long)Reduce(reduction, expected[at], u[(t * 5) + j]);
            }
        }

        Assert.Equal(expected, c.Longs(y).ToArray());
    }

    [Theory]
    [InlineData(new[] { 3, 2 }, 0, new[] { false, true, true })]
    [InlineData(new[] { 3, 2 }, 1, new[] { false, true })]
    [InlineData(new[] { 2, 5, 3 }, -2, new[] { true, false, true })]   // shorter than the axis
    [InlineData(new[] { 3, 2 }, 0, new[] { false, false, false })]
    public void Compress_KeepsTheSelectedSlices(int[] xs, int axis, bool[] condition)
    {
        var x = TestData.Floats(new Random(xs.Length), Nd.Count(xs));
        var h = new OpHarness();
        var xi = h.Floats(x, xs);
        var ci = h.Bools(condition, condition.Length);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new CompressOp(xi, ci, y, axis, false));

        var a = axis < 0 ? axis + xs.Length : axis;
        var keep = Enumerable.Range(0, condition.Length).Where(i => condition[i]).ToArray();
        var ys = xs.Select((d, i) => i == a ? keep.Length : d).ToArray();
        Assert.Equal(ys, c.Shape(y).ToArray());
        var expected = Enumerable.Range(0, Nd.Count(ys)).Select(o =>
        {
            var index = Nd.Unravel(o, ys);
            index[a] = keep[index[a]];
            return x[Nd.Ravel(index, xs)];
        });
        Assert.Equal(expected, c.Floats(y).ToArray());
    }

    [Fact]
    public void Compress_WithoutAxis_Flattens()
    {
        var h = new OpHarness();
        var x = h.Longs([1, 2, 3, 4, 5, 6], 2, 3);
        var cond = h.Bools([true, false, false, true, true], 5);
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new CompressOp(x, cond, y, 0, true));
        Assert.Equal([3], c.Shape(y).ToArray());
        Assert.Equal([1L, 4, 5], c.Longs(y).ToArray());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    public void ReverseSequence_ReversesThePrefixOfEachBatchEntry(int batchAxis, int timeAxis)
    {
        int[] xs = [4, 4, 3];
        long[] lens = [1, 4, 0, 3];
        var x = TestData.Floats(new Random(batchAxis), Nd.Count(xs));
        var h = new OpHarness();
        var xi = h.Floats(x, xs);
        var li = h.ConstLongs(lens, 4);
        var y = h.Output(TensorType.Float32);
        var c = h.Run(new ReverseSequenceOp(xi, li, y, batchAxis, timeAxis));

        for (var o = 0; o < x.Length; o++)
        {
            var index = Nd.Unravel(o, xs);
            var len = (int)lens[index[batchAxis]];
            if (index[timeAxis] < len)
            {
                index[timeAxis] = len - 1 - index[timeAxis];
            }

            Assert.Equal(x[Nd.Ravel(index, xs)], c.Floats(y)[o]);
        }
    }

    [Fact]
    public void NonZero_ListsCoordinatesRowMajor()
    {
        var h = new OpHarness();
        var f = h.Floats([0f, 1f, -0f, 2f, 0f, 3f], 2, 3);
        var b = h.Bools([true, false, true], 3);
        var z = h.Longs([0, 0], 2);
        var s = h.Floats([5f], []);
        var yf = h.Output(TensorType.Int64);
        var yb = h.Output(TensorType.Int64);
        var yz = h.Output(TensorType.Int64);
        var ys = h.Output(TensorType.Int64);
        var c = h.Run(new NonZeroOp(f, yf), new NonZeroOp(b, yb), new NonZeroOp(z, yz), new NonZeroOp(s, ys));

        Assert.Equal([2, 3], c.Shape(yf).ToArray());
        Assert.Equal([0L, 1, 1, 1, 0, 2], c.Longs(yf).ToArray());
        Assert.Equal([0L, 2], c.Longs(yb).ToArray());
        Assert.Equal([1, 0], c.Shape(yz).ToArray());
        Assert.Equal([0, 1], c.Shape(ys).ToArray());
    }

    private static double Reduce(ScatterReduction r, double a, double b) => r switch
    {
        ScatterReduction.Add => a + b,
        ScatterReduction.Mul => a * b,
        ScatterReduction.Max => Math.Max(a, b),
        ScatterReduction.Min => Math.Min(a, b),
        _ => b,
    };
}
