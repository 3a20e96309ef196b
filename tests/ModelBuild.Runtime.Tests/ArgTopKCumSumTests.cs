using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class ArgTopKCumSumTests
{
    private static readonly (int Outer, int Axis, int Inner)[] s_splits = [(1, 1, 1), (1, 10, 1), (3, 7, 1), (2, 5, 3), (3, 4, 8), (2, 6, 19), (1, 33, 2)];

    public static TheoryData<int> Splits() => [.. Enumerable.Range(0, s_splits.Length)];

    [Theory]
    [MemberData(nameof(Splits))]
    public void ArgReduce_MatchesReference_WithTiesFirstOrLast(int split)
    {
        var (outer, axis, inner) = s_splits[split];
        // Few distinct values so ties are common.
        float[] x = Enumerable.Range(0, outer * axis * inner).Select(_ => 0f).ToArray();
        var rng = new Random(split);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.Next(4);
        }

        foreach (bool max in new[] { true, false })
        {
            foreach (bool last in new[] { true, false })
            {
                var y = new long[outer * inner];
                Kernels.ArgReduce(max, last, x, y, outer, axis, inner);
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        var along = Enumerable.Range(0, axis).Select(a => x[(((o * axis) + a) * inner) + i]).ToArray();
                        float best = max ? along.Max() : along.Min();
                        long expected = last ? Array.LastIndexOf(along, best) : Array.IndexOf(along, best);
                        Assert.Equal(expected, y[(o * inner) + i]);
                    }
                }
            }
        }
    }

    [Fact]
    public void ArgReduceOp_KeepsOrDropsTheAxis()
    {
        float[] x = [1, 9, 3, 7, 2, 8];
        var keep = OpHarness.RunSingle(new ArgReduceOp(0, 1, true, -1, true, false), x, [2, 3], TensorType.Int64);
        Assert.Equal([2, 1], keep.Shape(1).ToArray());
        Assert.Equal([1L, 2L], keep.Longs(1).ToArray());
        var drop = OpHarness.RunSingle(new ArgReduceOp(0, 1, false, 0, false, false), x, [2, 3], TensorType.Int64);
        Assert.Equal([3], drop.Shape(1).ToArray());
        Assert.Equal([0L, 1L, 0L], drop.Longs(1).ToArray());
        Assert.Throws<ArgumentException>(() => OpHarness.RunSingle(new ArgReduceOp(0, 1, true, 1, true, false), [], [2, 0], TensorType.Int64));
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void TopK_MatchesAStableSort(int split)
    {
        var (outer, axis, inner) = s_splits[split];
        var rng = new Random(split);
        float[] x = Enumerable.Range(0, outer * axis * inner).Select(_ => (float)rng.Next(5)).ToArray();
        foreach (bool largest in new[] { true, false })
        {
            foreach (int k in new[] { 0, 1, axis / 2, axis })
            {
                var values = new float[outer * k * inner];
                var indices = new long[values.Length];
                Kernels.TopK(x, values, indices, outer, axis, inner, k, largest, new float[2 * axis]);
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        // LINQ's OrderBy is stable, so equal values keep index order: ONNX's tie rule.
                        var order = Enumerable.Range(0, axis).Select(a => (V: x[(((o * axis) + a) * inner) + i], I: a));
                        var best = (largest ? order.OrderByDescending(p => p.V) : order.OrderBy(p => p.V)).Take(k).ToArray();
                        for (int j = 0; j < k; j++)
                        {
                            Assert.Equal(best[j].V, values[(((o * k) + j) * inner) + i]);
                            Assert.Equal(best[j].I, indices[(((o * k) + j) * inner) + i]);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void TopKOp_SetsKAlongTheAxis_AndChecksK()
    {
        float[] x = [5, 1, 4, 2, 8, 3];
        var c = OpHarness.RunSingle(new TopKOp(0, -1, 1, 2, 2, 0, true, true), x, [2, 3], TensorType.Float32, TensorType.Int64);
        Assert.Equal([2, 3], c.Shape(1).ToArray());
        Assert.Equal([5f, 8f, 4f, 2f, 1f, 3f], c.Floats(1).ToArray());
        Assert.Equal([0L, 1L, 0L, 1L, 0L, 1L], c.Longs(2).ToArray());
        Assert.Throws<ArgumentException>(() => OpHarness.RunSingle(new TopKOp(0, -1, 1, 2, 4, 1, true, true), x, [2, 3], TensorType.Float32, TensorType.Int64));
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void CumSum_MatchesFloat64Reference_InEveryDirection(int split)
    {
        var (outer, axis, inner) = s_splits[split];
        float[] x = TestData.Floats(new Random(split), outer * axis * inner);
        long[] xl = x.Select(v => (long)(v * 100)).ToArray();
        foreach (bool exclusive in new[] { false, true })
        {
            foreach (bool reverse in new[] { false, true })
            {
                var y = new float[x.Length];
                Kernels.CumSum(x, y, outer, axis, inner, exclusive, reverse);
                var yl = new long[x.Length];
                Kernels.CumSum(xl, yl, outer, axis, inner, exclusive, reverse);
                var expected = new double[x.Length];
                var magnitude = new double[x.Length];
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        for (int j = 0; j < axis; j++)
                        {
                            int at = (((o * axis) + j) * inner) + i;
                            long exact = 0;
                            for (int a = 0; a < axis; a++)
                            {
                                bool included = reverse ? (exclusive ? a > j : a >= j) : (exclusive ? a < j : a <= j);
                                if (included)
                                {
                                    int from = (((o * axis) + a) * inner) + i;
                                    expected[at] += x[from];
                                    magnitude[at] += Math.Abs(x[from]);
                                    exact += xl[from];
                                }
                            }

                            Assert.Equal(exact, yl[at]);
                        }
                    }
                }

                TestData.AssertClose(expected, y, Tolerances.Dot, magnitude: magnitude);
            }
        }
    }

    [Fact]
    public void CumSumOp_KeepsTheShape()
    {
        var c = OpHarness.RunSingle(new CumSumOp(0, 1, -2, false, true), [1, 2, 3, 4, 5, 6], [3, 2], TensorType.Float32);
        Assert.Equal([3, 2], c.Shape(1).ToArray());
        Assert.Equal([9f, 12f, 8f, 10f, 5f, 6f], c.Floats(1).ToArray());
    }
}
