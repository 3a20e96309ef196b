using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>Expand, Tile, Split, DepthToSpace and SpaceToDepth against element-by-element references.</summary>
public sealed class RearrangeTests
{
    public static TheoryData<int[], long[], int[]> ExpandCases() => new()
    {
        { [3, 1], [2, 1, 6], [2, 3, 6] },
        { [1, 17], [5, 1], [5, 17] },
        { [2, 3], [3], [2, 3] },
        { [4], [2, 1, 1, 4], [2, 1, 1, 4] },
        { [], [2, 3], [2, 3] },
        { [2, 1, 3], [2, 0, 3], [2, 0, 3] },
    };

    [Theory]
    [MemberData(nameof(ExpandCases))]
    public void Expand_Broadcasts_InEveryType(int[] xs, long[] target, int[] ys)
    {
        var rng = new Random(xs.Length);
        var xf = TestData.Floats(rng, Nd.Count(xs));
        var xl = Nd.Longs(rng, Nd.Count(xs));
        var xb = Nd.Bools(rng, Nd.Count(xs));
        var h = new OpHarness();
        var fi = h.Floats(xf, xs);
        var li = h.Longs(xl, xs);
        var bi = h.Bools(xb, xs);
        var shape = h.Longs(target, target.Length);
        var yf = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var yb = h.Output(TensorType.Bool);
        var c = h.Run(new ExpandOp(fi, yf, target, -1), new ExpandOp(li, yl, [], shape), new ExpandOp(bi, yb, target, -1));

        Assert.Equal(ys, c.Shape(yf).ToArray());
        Assert.Equal(Broadcast(xs, ys, i => xf[i]), c.Floats(yf).ToArray());
        Assert.Equal(Broadcast(xs, ys, i => xl[i]), c.Longs(yl).ToArray());
        Assert.Equal(Broadcast(xs, ys, i => xb[i]), c.Bools(yb).ToArray());
    }

    [Fact]
    public void Expand_RejectsIncompatibleShapes()
    {
        var h = new OpHarness();
        var x = h.Floats(new float[6], 2, 3);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new ExpandOp(x, y, [4], -1)));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new long[] { 2, 3 })]
    [InlineData(new[] { 3, 1, 17 }, new long[] { 1, 4, 2 })]
    [InlineData(new[] { 5 }, new long[] { 0 })]
    [InlineData(new[] { 2, 2 }, new long[] { 1, 1 })]
    public void Tile_RepeatsEachAxis(int[] xs, long[] repeats)
    {
        var rng = new Random(xs.Sum());
        var xf = TestData.Floats(rng, Nd.Count(xs));
        var xl = Nd.Longs(rng, Nd.Count(xs));
        var h = new OpHarness();
        var fi = h.Floats(xf, xs);
        var li = h.Longs(xl, xs);
        var r = h.Longs(repeats, repeats.Length);
        var yf = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var c = h.Run(new TileOp(fi, yf, repeats, -1), new TileOp(li, yl, [], r));

        var ys = xs.Select((d, i) => d * (int)repeats[i]).ToArray();
        Assert.Equal(ys, c.Shape(yf).ToArray());
        var expected = new float[Nd.Count(ys)];
        var expectedL = new long[expected.Length];
        for (var o = 0; o < expected.Length; o++)
        {
            var index = Nd.Unravel(o, ys).Select((v, d) => v % xs[d]).ToArray();
            expected[o] = xf[Nd.Ravel(index, xs)];
            expectedL[o] = xl[Nd.Ravel(index, xs)];
        }

        Assert.Equal(expected, c.Floats(yf).ToArray());
        Assert.Equal(expectedL, c.Longs(yl).ToArray());
    }

    [Theory]
    [InlineData(new[] { 6, 5 }, 0, new long[] { 2, 4 }, 2)]
    [InlineData(new[] { 6, 5 }, 1, new long[] { 1, 0, 4 }, 3)]
    [InlineData(new[] { 2, 7, 3 }, -2, new long[0], 3)]  // uneven: 3, 3, 1
    [InlineData(new[] { 2, 7, 3 }, 1, new long[0], 4)]   // uneven: 2, 2, 2, 1
    [InlineData(new[] { 2, 6 }, 1, new long[0], 3)]
    [InlineData(new[] { 2, 3 }, 1, new long[0], 4)]      // more parts than elements: 1, 1, 1, 0
    public void Split_CutsAlongTheAxis(int[] xs, int axis, long[] sizes, int parts)
    {
        var x = Nd.Longs(new Random(parts), Nd.Count(xs));
        var h = new OpHarness();
        var xi = h.Longs(x, xs);
        var outputs = Enumerable.Range(0, parts).Select(_ => h.Output(TensorType.Int64)).ToArray();
        var c = h.Run(new SplitOp(xi, outputs, axis, sizes, -1));

        var a = axis < 0 ? axis + xs.Length : axis;
        var chunk = (xs[a] + parts - 1) / parts;
        var start = 0;
        for (var p = 0; p < parts; p++)
        {
            var n = sizes.Length > 0 ? (int)sizes[p] : Math.Min(chunk, xs[a] - start);
            var ys = xs.Select((d, i) => i == a ? n : d).ToArray();
            Assert.Equal(ys, c.Shape(outputs[p]).ToArray());
            var expected = Enumerable.Range(0, Nd.Count(ys)).Select(o =>
            {
                var index = Nd.Unravel(o, ys);
                index[a] += start;
                return x[Nd.Ravel(index, xs)];
            });
            Assert.Equal(expected, c.Longs(outputs[p]).ToArray());
            start += n;
        }
    }

    [Fact]
    public void Split_WithComputedSizes_ChecksTheirSum()
    {
        var h = new OpHarness();
        var data = TestData.Floats(new Random(1), 10);
        var x = h.Floats(data, 10);
        var sizes = h.Longs([3, 7], 2);
        var bad = h.Longs([3, 3], 2);
        var a = h.Output(TensorType.Float32);
        var b = h.Output(TensorType.Float32);
        var c = h.Run(new SplitOp(x, [a, b], 0, [], sizes));
        Assert.Equal(data[3..], c.Floats(b).ToArray());
        Assert.Throws<ArgumentException>(() => h.Run(new SplitOp(x, [a, b], 0, [], bad)));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public void DepthToSpace_MatchesTheSpecFormula_AndSpaceToDepthInvertsDcr(int b, bool crd)
    {
        int[] xs = [2, 2 * b * b, 3, 5];
        var cOut = xs[1] / (b * b);
        var xf = TestData.Floats(new Random(b), Nd.Count(xs));
        var xl = Nd.Longs(new Random(b), Nd.Count(xs));
        var h = new OpHarness();
        var fi = h.Floats(xf, xs);
        var li = h.Longs(xl, xs);
        var yf = h.Output(TensorType.Float32);
        var yl = h.Output(TensorType.Int64);
        var back = h.Output(TensorType.Float32);
        var c = h.Run(new DepthToSpaceOp(fi, yf, b, crd), new DepthToSpaceOp(li, yl, b, crd), new SpaceToDepthOp(yf, back, b));

        int[] ys = [2, cOut, 3 * b, 5 * b];
        Assert.Equal(ys, c.Shape(yf).ToArray());
        for (var o = 0; o < Nd.Count(ys); o++)
        {
            var (n, ch, hh, ww) = (Nd.Unravel(o, ys)[0], Nd.Unravel(o, ys)[1], Nd.Unravel(o, ys)[2], Nd.Unravel(o, ys)[3]);
            var (i, j) = (hh % b, ww % b);
            var src = crd ? (ch * b * b) + (i * b) + j : (((i * b) + j) * cOut) + ch;
            var at = Nd.Ravel([n, src, hh / b, ww / b], xs);
            Assert.Equal(xf[at], c.Floats(yf)[o]);
            Assert.Equal(xl[at], c.Longs(yl)[o]);
        }

        if (!crd)
        {
            Assert.Equal(xs, c.Shape(back).ToArray());
            Assert.Equal(xf, c.Floats(back).ToArray());
        }
    }

    [Fact]
    public void SpaceToDepth_RejectsIndivisibleSpatialDims()
    {
        var h = new OpHarness();
        var x = h.Floats(new float[15], 1, 1, 3, 5);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new SpaceToDepthOp(x, y, 2)));
    }

    private static T[] Broadcast<T>(int[] xs, int[] ys, Func<int, T> x)
    {
        var y = new T[Nd.Count(ys)];
        var lead = ys.Length - xs.Length;
        for (var o = 0; o < y.Length; o++)
        {
            var index = Nd.Unravel(o, ys);
            var at = xs.Select((d, i) => d == 1 ? 0 : index[i + lead]).ToArray();
            y[o] = x(Nd.Ravel(at, xs));
        }

        return y;
    }
}
