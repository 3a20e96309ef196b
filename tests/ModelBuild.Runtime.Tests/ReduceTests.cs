using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class ReduceTests
{
    /// <summary>Shapes and reduced-axis masks that reach every path: innermost rows, a column block, the offset walk.</summary>
    private static readonly (int[] Shape, int Mask)[] s_cases =
    [
        ([1000], 1), ([7], 1), ([3, 17], 2), ([3, 17], 1), ([2, 5, 9], 2), ([4, 33, 3], 2), ([2, 3, 4, 5], 0b1010),
        ([2, 3, 4, 5], 0b0101), ([33, 1, 31], 0b101), ([4, 1, 6], 0b010), ([2, 3, 4], 0b111), ([5, 6], 0), ([], 0),
        ([2, 7, 1, 9], 0b0110), ([6, 1, 20], 0b011),
    ];

    public static TheoryData<int, ReduceFunction, int> Cases()
    {
        var data = new TheoryData<int, ReduceFunction, int>();
        foreach (int level in TestData.Levels)
        {
            foreach (ReduceFunction f in Enum.GetValues<ReduceFunction>())
            {
                for (int i = 0; i < s_cases.Length; i++)
                {
                    data.Add(level, f, i);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduce_MatchesFloat64Reference(int level, ReduceFunction function, int caseIndex)
    {
        var (shape, mask) = s_cases[caseIndex];
        var (lo, hi) = function switch
        {
            ReduceFunction.LogSum => (0.1f, 2f),
            ReduceFunction.Prod => (0.5f, 1.5f),
            ReduceFunction.LogSumExp => (-20f, 100f), // e^100 overflows float32: only the max-shifted form passes
            _ => (-3f, 3f),
        };
        float[] x = TestData.Floats(new Random(caseIndex), shape.Aggregate(1, (p, d) => p * d), lo, hi);
        var (expected, magnitude) = ReferenceReduce(function, x, shape, mask);
        var y = new float[expected.Length];
        var scratch = new float[Kernels.ReduceScratch(shape, mask)];
        Kernels.Reduce((SimdLevel)level, function, x, shape, mask, y, scratch);
        double relative = function is ReduceFunction.Max or ReduceFunction.Min ? 0 : Tolerances.Dot;
        TestData.AssertClose(expected, y, relative, magnitude: magnitude);
    }

    [Theory]
    [InlineData(ReduceFunction.Sum)]
    [InlineData(ReduceFunction.Prod)]
    [InlineData(ReduceFunction.Max)]
    [InlineData(ReduceFunction.Min)]
    [InlineData(ReduceFunction.L1)]
    [InlineData(ReduceFunction.SumSquare)]
    public void ReduceInt64_IsExact_OnEveryPath(ReduceFunction function)
    {
        for (int i = 0; i < s_cases.Length; i++)
        {
            var (shape, mask) = s_cases[i];
            var rng = new Random(i);
            long[] x = Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (long)rng.Next(-3, 4)).ToArray();
            var (expected, _) = ReferenceReduce(function, x.Select(v => (float)v).ToArray(), shape, mask);
            var y = new long[expected.Length];
            Kernels.Reduce(function, x, shape, mask, y);
            Assert.Equal(expected.Select(v => (long)v), y);
        }
    }

    [Fact]
    public void ReduceInt64_EmptySetsAndNonIntegerFunctions()
    {
        var y = new long[2];
        Kernels.Reduce(ReduceFunction.Min, ReadOnlySpan<long>.Empty, [2, 0], 0b10, y);
        Assert.Equal([long.MaxValue, long.MaxValue], y);
        Kernels.Reduce(ReduceFunction.Max, ReadOnlySpan<long>.Empty, [2, 0], 0b10, y);
        Assert.Equal([long.MinValue, long.MinValue], y);
        Assert.Throws<ArgumentException>(() => Kernels.Reduce(ReduceFunction.Mean, new long[4], [2, 2], 0b10, y));
    }

    [Fact]
    public void ReduceOp_Int64_ProductOfAShape()
    {
        // ReduceProd over a Shape output, as exporters write Flatten: [2, 3, 4] → 24.
        var c = OpHarness.RunSingle(new ReduceOp(0, 1, ReduceFunction.Prod, [0], false, false), [2L, 3L, 4L], TensorType.Int64, [3], TensorType.Int64);
        Assert.Equal(0, c.Shape(1).Length);
        Assert.Equal([24L], c.Longs(1).ToArray());
    }

    [Theory]
    [InlineData(ReduceFunction.Sum, 0f)]
    [InlineData(ReduceFunction.Mean, float.NaN)]
    [InlineData(ReduceFunction.Max, float.NegativeInfinity)]
    [InlineData(ReduceFunction.Min, float.PositiveInfinity)]
    [InlineData(ReduceFunction.Prod, 1f)]
    [InlineData(ReduceFunction.L1, 0f)]
    [InlineData(ReduceFunction.L2, 0f)]
    [InlineData(ReduceFunction.LogSum, float.NegativeInfinity)]
    [InlineData(ReduceFunction.LogSumExp, float.NegativeInfinity)]
    [InlineData(ReduceFunction.SumSquare, 0f)]
    public void Reduce_EmptySet_GivesTheSpecValue(ReduceFunction function, float expected)
    {
        // ONNX's *_empty_set tests: [2, 0, 4] reduced over axis 1 keeps 2·4 outputs, each of an empty set.
        var y = new float[8];
        Kernels.Reduce(function, [], [2, 0, 4], 0b010, y, []);
        Assert.All(y, v => Assert.Equal(expected, v));
    }

    [Fact]
    public void Reduce_LogSumExpOfInfinities_IsTheInfinity()
    {
        var y = new float[2];
        Kernels.Reduce(ReduceFunction.LogSumExp, [float.NegativeInfinity, float.NegativeInfinity, 1, float.PositiveInfinity], [2, 2], 0b10, y, new float[4]);
        Assert.Equal([float.NegativeInfinity, float.PositiveInfinity], y);
    }

    [Theory]
    [InlineData(new[] { 1 }, true, new[] { 2, 1, 4 })]
    [InlineData(new[] { -1 }, false, new[] { 2, 3 })]
    [InlineData(new[] { 0, -1 }, true, new[] { 1, 3, 1 })]
    [InlineData(new int[0], false, new int[0])]
    public void ReduceOp_ComputesTheOutputShape(int[] axes, bool keepDims, int[] expectedShape)
    {
        int[] shape = [2, 3, 4];
        float[] x = TestData.Floats(new Random(1), 24);
        var c = OpHarness.RunSingle(new ReduceOp(0, 1, ReduceFunction.Sum, axes, keepDims, false), x, shape, TensorType.Float32);
        Assert.Equal(expectedShape, c.Shape(1).ToArray());
        int mask = axes.Length == 0 ? 0b111 : axes.Aggregate(0, (m, a) => m | (1 << ((a + 3) % 3)));
        TestData.AssertClose(ReferenceReduce(ReduceFunction.Sum, x, shape, mask).Expected, c.Floats(1), Tolerances.Dot);
    }

    [Fact]
    public void ReduceOp_NoopWithEmptyAxes_MapsEachElement()
    {
        float[] x = [-2, 3, 0.5f];
        var c = OpHarness.RunSingle(new ReduceOp(0, 1, ReduceFunction.SumSquare, [], true, true), x, [3], TensorType.Float32);
        Assert.Equal([3], c.Shape(1).ToArray());
        Assert.Equal([4f, 9f, 0.25f], c.Floats(1).ToArray());
    }

    [Fact]
    public void ReduceOp_RejectsRepeatedAndOutOfRangeAxes()
    {
        Assert.Throws<ArgumentException>(() => OpHarness.RunSingle(new ReduceOp(0, 1, ReduceFunction.Max, [1, -1], true, false), new float[6], [3, 2], TensorType.Float32));
        Assert.Throws<ArgumentException>(() => OpHarness.RunSingle(new ReduceOp(0, 1, ReduceFunction.Max, [2], true, false), new float[6], [3, 2], TensorType.Float32));
    }

    /// <summary>
    /// The definition in float64: every element goes to the output its kept indices name; then the function.
    /// Magnitude is what rounding scales with: Σ|pre(x)| for sums, |result| (at least 1 for the logs) otherwise.
    /// </summary>
    internal static (double[] Expected, double[] Magnitude) ReferenceReduce(ReduceFunction f, float[] x, int[] shape, int mask)
    {
        int rank = shape.Length;
        int outCount = 1;
        for (int a = 0; a < rank; a++)
        {
            outCount *= ((mask >> a) & 1) != 0 ? 1 : shape[a];
        }

        var sets = new List<double>[outCount];
        for (int o = 0; o < outCount; o++)
        {
            sets[o] = [];
        }

        for (int flat = 0; flat < x.Length; flat++)
        {
            int rest = flat, o = 0, scale = 1;
            for (int a = rank - 1; a >= 0; a--)
            {
                int index = rest % shape[a];
                rest /= shape[a];
                if (((mask >> a) & 1) == 0)
                {
                    o += index * scale;
                    scale *= shape[a];
                }
            }

            sets[o].Add(x[flat]);
        }

        var expected = new double[outCount];
        var magnitude = new double[outCount];
        for (int o = 0; o < outCount; o++)
        {
            var s = sets[o];
            expected[o] = f switch
            {
                ReduceFunction.Sum => s.Sum(),
                ReduceFunction.Mean => s.Average(),
                ReduceFunction.Max => s.Max(),
                ReduceFunction.Min => s.Min(),
                ReduceFunction.Prod => s.Aggregate(1.0, (p, v) => p * v),
                ReduceFunction.L1 => s.Sum(Math.Abs),
                ReduceFunction.L2 => Math.Sqrt(s.Sum(v => v * v)),
                ReduceFunction.LogSum => Math.Log(s.Sum()),
                ReduceFunction.LogSumExp => s.Max() + Math.Log(s.Sum(v => Math.Exp(v - s.Max()))),
                _ => s.Sum(v => v * v),
            };
            magnitude[o] = f switch
            {
                ReduceFunction.Sum or ReduceFunction.L1 => s.Sum(Math.Abs),
                ReduceFunction.Mean => s.Average(Math.Abs),
                ReduceFunction.SumSquare => s.Sum(v => v * v),
                ReduceFunction.LogSum or ReduceFunction.LogSumExp => Math.Max(1, Math.Abs(expected[o])),
                _ => Math.Abs(expected[o]),
            };
        }

        return (expected, magnitude);
    }
}
