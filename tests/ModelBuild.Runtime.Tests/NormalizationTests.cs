using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>The normalisation ops against float64 references written from the ONNX spec's formulas.</summary>
public sealed class NormalizationTests
{
    /// <summary>
    /// Normalised outputs are O(1); mean and variance are float32 sums of ≤ 1000 terms (Tolerances.Dot's argument),
    /// then a division by σ: 1e-4 relative to max(1, |y|).
    /// </summary>
    private const double Normalized = 1e-4;

    public static TheoryData<int, int> LevelsAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (var level in new[] { 0, 1, 2 })
        {
            foreach (var d in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 96, 257 })
            {
                data.Add(level, d);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LevelsAndLengths))]
    public void LayerNorm_kernel_matches_float64_at_every_level(int level, int d)
    {
        const int rows = 3;
        var rng = new Random(d);
        // An offset mean (|mean| ≫ σ) is where a one-pass E[x²] − E[x]² would lose the variance.
        var x = TestData.Floats(rng, rows * d, 99f, 101f);
        var gamma = TestData.Floats(rng, d);
        var beta = TestData.Floats(rng, d);
        var y = new float[rows * d];
        var mean = new float[rows];
        var inv = new float[rows];
        Kernels.LayerNorm((SimdLevel)level, x, gamma, beta, y, mean, inv, rows, d, 1e-5f);
        var (ey, em, ei) = LayerNormReference(x, gamma, beta, rows, d, 1e-5);
        AssertNormalized(ey, y);
        TestData.AssertClose(em, mean, 1e-6);
        TestData.AssertClose(ei, inv, 1e-3); // 1/σ of values spread over 2 units: σ itself carries the float32 error of x − mean
    }

    [Theory]
    [InlineData(new[] { 2, 3, 5 }, -1, new[] { 5 }, true)]
    [InlineData(new[] { 2, 3, 5 }, 1, new[] { 3, 5 }, true)]
    [InlineData(new[] { 2, 3, 5 }, -2, new[] { 5 }, false)] // γ broadcast over the first normalised dim
    [InlineData(new[] { 2, 3, 5 }, 0, new[] { 1, 1, 5 }, true)] // leading 1s
    [InlineData(new[] { 4, 9 }, -1, new[] { 1 }, false)]
    [InlineData(new[] { 7 }, 0, new[] { 7 }, true)]
    public void LayerNorm_op_normalises_the_trailing_dims(int[] shape, int axis, int[] gammaShape, bool withBias)
    {
        var rng = new Random(shape.Sum() + axis);
        var count = shape.Aggregate(1, (p, v) => p * v);
        var first = axis < 0 ? axis + shape.Length : axis;
        var d = shape[first..].Aggregate(1, (p, v) => p * v);
        var x = TestData.Floats(rng, count, -3, 3);
        var g = TestData.Floats(rng, gammaShape.Aggregate(1, (p, v) => p * v));
        var b = withBias ? TestData.Floats(rng, g.Length) : null;
        var run = new OpHarness();
        int xv = run.Floats(x, shape), gv = run.ConstFloats(g, gammaShape), bv = b is null ? -1 : run.ConstFloats(b, gammaShape);
        int y = run.Output(), mean = run.Output(), inv = run.Output();
        var c = run.Run(new LayerNormOp(xv, gv, bv, y, mean, inv, axis, 1e-3f));

        var gammaFull = Enumerable.Range(0, d).Select(j => g[j % g.Length]).ToArray();
        var betaFull = Enumerable.Range(0, d).Select(j => b is null ? 0f : b[j % b.Length]).ToArray();
        var (ey, em, ei) = LayerNormReference(x, gammaFull, betaFull, count / d, d, 1e-3);
        Assert.Equal(shape, c.Shape(y).ToArray());
        var statShape = shape.Select((v, i) => i < first ? v : 1).ToArray();
        Assert.Equal(statShape, c.Shape(mean).ToArray());
        Assert.Equal(statShape, c.Shape(inv).ToArray());
        AssertNormalized(ey, c.Floats(y));
        TestData.AssertClose(em, c.Floats(mean), 1e-5, 1e-6);
        TestData.AssertClose(ei, c.Floats(inv), 1e-4);
    }

    [Fact]
    public void LayerNorm_op_without_scale_or_statistics_and_a_bad_scale()
    {
        var rng = new Random(3);
        var x = TestData.Floats(rng, 12);
        var run = new OpHarness();
        int xv = run.Floats(x, 3, 4), y = run.Output(), bad = run.ConstFloats(new float[3], 3), y2 = run.Output();
        var c = run.Run(new LayerNormOp(xv, -1, -1, y, -1, -1, -1, 1e-5f));
        var (ey, _, _) = LayerNormReference(x, [1, 1, 1, 1], [0, 0, 0, 0], 3, 4, 1e-5);
        AssertNormalized(ey, c.Floats(y));

        var e = Assert.Throws<ArgumentException>(() => run.Run(new LayerNormOp(xv, bad, -1, y2, -1, -1, -1, 1e-5f) { Node = "ln" }));
        Assert.Contains("does not broadcast", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 })]
    [InlineData(new[] { 1, 2, 33 })]
    [InlineData(new[] { 3, 4 })] // no spatial dims: each value is its own mean, y = bias
    public void InstanceNorm_normalises_each_channel_of_each_sample(int[] shape)
    {
        var rng = new Random(shape.Length);
        var count = shape.Aggregate(1, (p, v) => p * v);
        var x = TestData.Floats(rng, count, -2, 5);
        var scale = TestData.Floats(rng, shape[1]);
        var bias = TestData.Floats(rng, shape[1]);
        var run = new OpHarness();
        int xv = run.Floats(x, shape), sv = run.ConstFloats(scale, shape[1]), bv = run.ConstFloats(bias, shape[1]), y = run.Output();
        var c = run.Run(new InstanceNormOp(xv, sv, bv, y, 1e-5f));
        var hw = count / (shape[0] * shape[1]);
        AssertNormalized(GroupReference(x, shape[0], shape[1], shape[1], hw, ch => scale[ch], ch => bias[ch], 1e-5), c.Floats(y));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(6, true)]
    [InlineData(1, false)]
    public void GroupNorm_normalises_groups_with_per_group_or_per_channel_parameters(int groups, bool perChannel)
    {
        int[] shape = [2, 6, 3, 5];
        var rng = new Random(groups);
        var x = TestData.Floats(rng, 180, -1, 4);
        var n = perChannel ? 6 : groups;
        var scale = TestData.Floats(rng, n);
        var bias = TestData.Floats(rng, n);
        var run = new OpHarness();
        int xv = run.Floats(x, shape), sv = run.ConstFloats(scale, n), bv = run.ConstFloats(bias, n), y = run.Output();
        var c = run.Run(new GroupNormOp(xv, sv, bv, y, groups, 1e-5f, perChannel));
        var perGroup = 6 / groups;
        int Param(int ch) => perChannel ? ch : ch / perGroup;
        AssertNormalized(GroupReference(x, 2, 6, groups, 15, ch => scale[Param(ch)], ch => bias[Param(ch)], 1e-5), c.Floats(y));

        var wrong = run.Output();
        var e = Assert.Throws<ArgumentException>(() => run.Run(new GroupNormOp(xv, sv, bv, wrong, 4, 1e-5f, perChannel)));
        Assert.Contains("multiple of num_groups", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, -1, 2)]
    [InlineData(new[] { 3, 4 }, 0, 1)]
    [InlineData(new[] { 2, 5, 3 }, 1, 2)]
    [InlineData(new[] { 2, 5, 3 }, -3, 1)]
    public void LpNorm_divides_by_the_norm_along_the_axis(int[] shape, int axis, int p)
    {
        var rng = new Random(axis + (10 * p));
        var count = shape.Aggregate(1, (q, v) => q * v);
        var x = TestData.Floats(rng, count);
        var first = axis < 0 ? axis + shape.Length : axis;
        int n = shape[first], inner = shape[(first + 1)..].Aggregate(1, (q, v) => q * v);
        x[0] = 0; // the vector through element 0 is zeroed below: it must stay 0, not NaN
        for (var a = 0; a < n; a++)
        {
            x[a * inner] = 0;
        }

        var run = new OpHarness();
        int xv = run.Floats(x, shape), y = run.Output();
        var c = run.Run(new LpNormOp(xv, y, axis, p));
        var expected = new double[count];
        for (var o = 0; o < count / (n * inner); o++)
        {
            for (var i = 0; i < inner; i++)
            {
                double norm = 0;
                for (var a = 0; a < n; a++)
                {
                    double v = x[(o * n * inner) + (a * inner) + i];
                    norm += p == 1 ? Math.Abs(v) : v * v;
                }

                norm = p == 1 ? norm : Math.Sqrt(norm);
                for (var a = 0; a < n; a++)
                {
                    var idx = (o * n * inner) + (a * inner) + i;
                    expected[idx] = norm == 0 ? 0 : x[idx] / norm;
                }
            }
        }

        TestData.AssertClose(expected, c.Floats(y), 1e-5, 1e-7);
    }

    [Theory]
    [InlineData(new[] { 0, 2, 3 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { -1, -2 })]
    public void MeanVarianceNorm_normalises_over_the_axes(int[] axes)
    {
        int[] shape = [2, 3, 4, 5];
        var rng = new Random(axes.Length);
        var x = TestData.Floats(rng, 120, -1, 3);
        var run = new OpHarness();
        int xv = run.Floats(x, shape), y = run.Output();
        var c = run.Run(new MeanVarianceNormOp(xv, y, axes));
        var reduced = axes.Select(a => a < 0 ? a + 4 : a).ToHashSet();
        int Key(int i)
        {
            int key = 0, rest = i;
            for (var d = 3; d >= 0; d--)
            {
                var idx = rest % shape[d];
                rest /= shape[d];
                key = reduced.Contains(d) ? key : (key * 10) + idx + 1;
            }

            return key;
        }

        var groups = Enumerable.Range(0, 120).GroupBy(Key).ToList();
        var expected = new double[120];
        foreach (var g in groups)
        {
            var mean = g.Average(i => (double)x[i]);
            var std = Math.Sqrt(g.Average(i => (x[i] - mean) * (x[i] - mean)));
            foreach (var i in g)
            {
                expected[i] = (x[i] - mean) / (std + 1e-9);
            }
        }

        AssertNormalized(expected, c.Floats(y));
    }

    [Theory]
    [InlineData(3, 1e-4f, 0.75f, 1f)]
    [InlineData(2, 0.002f, 0.5f, 2f)] // even size: one more channel above than below
    [InlineData(5, 0.1f, 0.75f, 1f)]
    public void Lrn_divides_by_the_windowed_sum_of_squares(int size, float alpha, float beta, float bias)
    {
        int[] shape = [2, 5, 3, 3];
        var rng = new Random(size);
        var x = TestData.Floats(rng, 90, -3, 3);
        var run = new OpHarness();
        int xv = run.Floats(x, shape), y = run.Output();
        var c = run.Run(new LrnOp(xv, y, size, alpha, beta, bias));
        var expected = new double[90];
        for (var n = 0; n < 2; n++)
        {
            for (var ch = 0; ch < 5; ch++)
            {
                for (var j = 0; j < 9; j++)
                {
                    double sum = 0;
                    for (var w = Math.Max(0, ch - ((size - 1) / 2)); w <= Math.Min(4, ch + (int)Math.Ceiling((size - 1) / 2.0)); w++)
                    {
                        sum += (double)x[(((n * 5) + w) * 9) + j] * x[(((n * 5) + w) * 9) + j];
                    }

                    var i = (((n * 5) + ch) * 9) + j;
                    expected[i] = x[i] / Math.Pow(bias + (alpha / size * sum), beta);
                }
            }
        }

        TestData.AssertClose(expected, c.Floats(y), 1e-5, 1e-7);
    }

    private static (double[] Y, double[] Mean, double[] Inv) LayerNormReference(float[] x, float[] gamma, float[] beta, int rows, int d, double eps)
    {
        var y = new double[rows * d];
        var means = new double[rows];
        var invs = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * d, d).ToArray();
            var mean = row.Average(v => (double)v);
            var variance = row.Average(v => (v - mean) * (v - mean));
            var inv = 1 / Math.Sqrt(variance + eps);
            for (var j = 0; j < d; j++)
            {
                y[(r * d) + j] = ((row[j] - mean) * inv * gamma[j]) + beta[j];
            }

            means[r] = mean;
            invs[r] = inv;
        }

        return (y, means, invs);
    }

    /// <summary>Instance/group norm: per sample, groups of channels normalised together, then per-channel scale and bias.</summary>
    private static double[] GroupReference(float[] x, int batch, int channels, int groups, int hw, Func<int, float> scale, Func<int, float> bias, double eps)
    {
        var y = new double[x.Length];
        var perGroup = channels / groups;
        for (var n = 0; n < batch; n++)
        {
            for (var g = 0; g < groups; g++)
            {
                var start = ((n * channels) + (g * perGroup)) * hw;
                var block = x.AsSpan(start, perGroup * hw).ToArray();
                var mean = block.Average(v => (double)v);
                var inv = 1 / Math.Sqrt(block.Average(v => (v - mean) * (v - mean)) + eps);
                for (var i = 0; i < block.Length; i++)
                {
                    var ch = (g * perGroup) + (i / hw);
                    y[start + i] = ((block[i] - mean) * inv * scale(ch)) + bias(ch);
                }
            }
        }

        return y;
    }

    private static void AssertNormalized(double[] expected, ReadOnlySpan<float> actual) =>
        TestData.AssertClose(expected, actual, Normalized, Normalized);
}
