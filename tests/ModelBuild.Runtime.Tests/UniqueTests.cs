using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>Unique against a reference built on LINQ grouping (numpy.unique's definitions).</summary>
public sealed class UniqueTests
{
    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 37)]
    public void Unique_Flattened_MatchesGrouping(bool sorted, int seed)
    {
        var rng = new Random(seed);
        var x = Nd.Longs(rng, 3 * 37, -6, 6);
        var h = new OpHarness();
        var xi = h.Longs(x, 3, 37);
        var (y, idx, inv, cnt) = (h.Output(TensorType.Int64), h.Output(TensorType.Int64), h.Output(TensorType.Int64), h.Output(TensorType.Int64));
        var c = h.Run(new UniqueOp(xi, y, idx, inv, cnt, 0, true, sorted));

        var groups = x.Select((v, i) => (v, i)).GroupBy(p => p.v).Select(g => (Value: g.Key, First: g.Min(p => p.i), Count: g.Count()));
        var ordered = (sorted ? groups.OrderBy(g => g.Value) : groups.OrderBy(g => g.First)).ToList();
        Assert.Equal(ordered.Select(g => g.Value), c.Longs(y).ToArray());
        Assert.Equal(ordered.Select(g => (long)g.First), c.Longs(idx).ToArray());
        Assert.Equal(ordered.Select(g => (long)g.Count), c.Longs(cnt).ToArray());
        Assert.Equal(x.Select(v => (long)ordered.FindIndex(g => g.Value == v)), c.Longs(inv).ToArray());
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void Unique_AlongAnAxis_ComparesWholeSlices(int axis, bool sorted)
    {
        // Slices repeat (rows 0 and 3 of axis 0 are equal) and differ only late in the lexicographic order.
        float[] x =
        [
            1, 2, 2, 1,
            1, 2, 3, 1,
            0, 2, 2, 0,
            1, 2, 2, 1,
        ];
        int[] xs = [4, 4];
        var h = new OpHarness();
        var xi = h.Floats(x, xs);
        var (y, inv, cnt) = (h.Output(TensorType.Float32), h.Output(TensorType.Int64), h.Output(TensorType.Int64));
        var c = h.Run(new UniqueOp(xi, y, -1, inv, cnt, axis, false, sorted));

        var a = axis < 0 ? axis + 2 : axis;
        float[] Slice(int i) => Enumerable.Range(0, 4).Select(j => a == 0 ? x[(i * 4) + j] : x[(j * 4) + i]).ToArray();
        var slices = Enumerable.Range(0, 4).Select(Slice).ToList();
        var distinct = new List<float[]>();
        foreach (var s in slices)
        {
            if (!distinct.Any(d => d.SequenceEqual(s)))
            {
                distinct.Add(s);
            }
        }

        if (sorted)
        {
            distinct.Sort((p, q) => p.Zip(q, (u, v) => u.CompareTo(v)).FirstOrDefault(r => r != 0));
        }

        var ys = a == 0 ? new[] { distinct.Count, 4 } : [4, distinct.Count];
        Assert.Equal(ys, c.Shape(y).ToArray());
        for (var k = 0; k < distinct.Count; k++)
        {
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(distinct[k][j], c.Floats(y)[a == 0 ? (k * 4) + j : (j * distinct.Count) + k]);
            }
        }

        Assert.Equal(slices.Select(s => (long)distinct.FindIndex(d => d.SequenceEqual(s))), c.Longs(inv).ToArray());
        Assert.Equal(distinct.Select(d => (long)slices.Count(s => s.SequenceEqual(d))), c.Longs(cnt).ToArray());
    }
}
