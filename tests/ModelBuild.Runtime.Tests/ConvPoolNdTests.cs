using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>Conv and pooling over 1 and 3 spatial axes, MaxPool's Indices and GlobalMaxPool, through their ops.</summary>
public sealed class ConvPoolNdTests
{
    public static TheoryData<int[], int, int, int[], int[], int[], int[], string> ConvCases() => new()
    {
        // x, oc, group, kernel, strides, dilations, pads, auto_pad
        { [2, 3, 11], 4, 1, [3], [2], [1], [1, 2], "NOTSET" },
        { [1, 4, 9], 4, 4, [3], [1], [2], [0, 0], "SAME_UPPER" },
        { [1, 2, 5, 6, 7], 3, 1, [2, 3, 3], [1, 2, 1], [1, 1, 2], [1, 0, 1, 0, 1, 2], "NOTSET" },
        { [2, 4, 4, 5, 3], 6, 2, [3, 2, 2], [2, 1, 1], [1, 1, 1], [0, 0, 0, 0, 0, 0], "SAME_LOWER" },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv_MatchesFloat64Reference(int[] xs, int oc, int group, int[] kernel, int[] strides, int[] dilations, int[] pads, string autoPad)
    {
        var rng = new Random(xs.Length + oc);
        int taps = kernel.Aggregate(1, (a, b) => a * b), cg = xs[1] / group, rank = kernel.Length;
        var x = TestData.Floats(rng, xs.Aggregate(1, (a, b) => a * b));
        var w = TestData.Floats(rng, oc * cg * taps);
        var bias = TestData.Floats(rng, oc);
        var op = new ConvOp(0, 1, 0, 1, kernel, strides, dilations, pads, autoPad, group, Activation.Relu);
        var result = OpHarness.RunToArrays((x, xs), [], [TensorType.Float32], op, (w, [oc, cg * taps]), (bias, [oc]))[0];

        var (outSize, begin, _) = Windows(xs, kernel, strides, dilations, pads, autoPad, ceil: false);
        Assert.Equal([xs[0], oc, .. outSize], result.Shape);
        var expected = new double[result.Floats.Length];
        int outVol = outSize.Aggregate(1, (a, b) => a * b), inVol = xs[2..].Aggregate(1, (a, b) => a * b), ocg = oc / group;
        for (int flat = 0; flat < expected.Length; flat++)
        {
            int q = flat % outVol, o = flat / outVol % oc, n = flat / outVol / oc, g = o / ocg;
            var pos = ConvTransposeTests.Unflatten(q, outSize);
            double sum = bias[o];
            for (int ci = 0; ci < cg; ci++)
            {
                for (int k = 0; k < taps; k++)
                {
                    var tap = ConvTransposeTests.Unflatten(k, kernel);
                    int at = 0;
                    bool inside = true;
                    for (int a = 0; a < rank; a++)
                    {
                        int i = (pos[a] * strides[a]) - begin[a] + (tap[a] * dilations[a]);
                        inside &= i >= 0 && i < xs[a + 2];
                        at = (at * xs[a + 2]) + i;
                    }

                    if (inside)
                    {
                        sum += x[(((n * xs[1]) + (g * cg) + ci) * inVol) + at] * (double)w[(((o * cg) + ci) * taps) + k];
                    }
                }
            }

            expected[flat] = Math.Max(0, sum);
        }

        TestData.AssertClose(expected, result.Floats, Tolerances.Dot, Tolerances.Interpolation);
    }

    public static TheoryData<int[], int[], int[], int[], int[], string, bool, bool, bool> PoolCases() => new()
    {
        // x, kernel, strides, dilations, pads, auto_pad, max, ceil, count_include_pad
        { [2, 3, 13], [3], [2], [1], [1, 1], "NOTSET", true, false, false },
        { [2, 3, 13], [4], [3], [1], [2, 1], "NOTSET", false, true, true },
        { [1, 2, 10], [3], [1], [2], [0, 0], "SAME_LOWER", false, false, false },
        { [2, 2, 5, 6, 7], [2, 3, 2], [2, 1, 2], [1, 1, 1], [1, 0, 1, 0, 1, 1], "NOTSET", true, false, false },
        { [1, 3, 6, 5, 5], [3, 2, 3], [1, 2, 2], [1, 2, 1], [1, 1, 1, 1, 0, 1], "NOTSET", false, true, true },
        { [1, 3, 6, 5, 5], [3, 3, 3], [2, 2, 2], [1, 1, 1], [0, 0, 0, 0, 0, 0], "SAME_UPPER", false, false, false },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool_MatchesFloat64Reference(int[] xs, int[] kernel, int[] strides, int[] dilations, int[] pads, string autoPad, bool max, bool ceil, bool countIncludePad)
    {
        // All inputs negative, so a padded zero winning a max would show.
        var x = TestData.Floats(new Random(xs.Length), xs.Aggregate(1, (a, b) => a * b), -2, -0.5f);
        var op = new PoolOp(0, 1, -1, max, kernel, strides, dilations, pads, autoPad, ceil, countIncludePad, false);
        var result = OpHarness.RunToArrays((x, xs), [], [TensorType.Float32], op)[0];

        var expected = PoolReference(x, xs, kernel, strides, dilations, pads, autoPad, max, ceil, countIncludePad, out var outShape, out _, false);
        Assert.Equal(outShape, result.Shape);
        TestData.AssertClose(expected, result.Floats, Tolerances.Elementwise);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MaxPoolIndices_AreFlatInputIndices(bool columnMajor)
    {
        int[] xs = [2, 3, 7, 6];
        var x = TestData.Floats(new Random(11), 2 * 3 * 7 * 6);
        var op = new PoolOp(0, 1, 2, true, [3, 2], [2, 2], [1, 1], [1, 0, 1, 1], "NOTSET", true, false, columnMajor);
        var result = OpHarness.RunToArrays((x, xs), [], [TensorType.Float32, TensorType.Int64], op);

        var expected = PoolReference(x, xs, [3, 2], [2, 2], [1, 1], [1, 0, 1, 1], "NOTSET", true, true, false, out var outShape, out var indices, columnMajor);
        Assert.Equal(outShape, result[0].Shape);
        Assert.Equal(outShape, result[1].Shape);
        TestData.AssertClose(expected, result[0].Floats, 0);
        Assert.Equal(indices, result[1].Longs);
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void GlobalMaxPool_EveryLevel(int level)
    {
        foreach (int hw in new[] { 1, 3, 4, 7, 8, 9, 17, 33, 256 })
        {
            var x = TestData.Floats(new Random(hw), 5 * hw, -3, -1);
            var y = new float[5];
            Kernels.GlobalMaxPool((SimdLevel)level, x, y, 5, hw);
            Assert.Equal(Enumerable.Range(0, 5).Select(c => x.Skip(c * hw).Take(hw).Max()), y);
        }

        var nan = new float[] { 1, float.NaN, 2, 3, 4, 5, 6, 7, 8 };
        var one = new float[1];
        Kernels.GlobalMaxPool((SimdLevel)level, nan, one, 1, nan.Length);
        Assert.True(float.IsNaN(one[0]));
    }

    [Fact]
    public void GlobalMaxPoolOp_AnyRank()
    {
        var x = TestData.Floats(new Random(2), 2 * 3 * 4 * 5 * 2);
        var result = OpHarness.RunToArrays((x, [2, 3, 4, 5, 2]), [], [TensorType.Float32], new GlobalMaxPoolOp(0, 1))[0];
        Assert.Equal([2, 3, 1, 1, 1], result.Shape);
        Assert.Equal(Enumerable.Range(0, 6).Select(c => x.Skip(c * 40).Take(40).Max()), result.Floats);
    }

    /// <summary>Output sizes and leading pads per the ONNX pooling/conv spec (auto_pad, ceil_mode).</summary>
    private static (int[] Out, int[] Begin, int[] End) Windows(int[] xs, int[] kernel, int[] strides, int[] dilations, int[] pads, string autoPad, bool ceil)
    {
        int rank = kernel.Length;
        int[] o = new int[rank], b = new int[rank], e = new int[rank];
        for (int a = 0; a < rank; a++)
        {
            int size = xs[a + 2], extent = ((kernel[a] - 1) * dilations[a]) + 1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                o[a] = (size + strides[a] - 1) / strides[a];
                int total = Math.Max(0, ((o[a] - 1) * strides[a]) + extent - size);
                b[a] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                e[a] = total - b[a];
                continue;
            }

            b[a] = pads[a];
            e[a] = pads[a + rank];
            double span = (double)(size + b[a] + e[a] - extent) / strides[a];
            o[a] = (int)(ceil ? Math.Ceiling(span) : Math.Floor(span)) + 1;
            if (ceil && (o[a] - 1) * strides[a] >= size + b[a])
            {
                o[a]--;
            }
        }

        return (o, b, e);
    }

    private static double[] PoolReference(float[] x, int[] xs, int[] kernel, int[] strides, int[] dilations, int[] pads, string autoPad, bool max, bool ceil,
        bool countIncludePad, out int[] outShape, out long[] indices, bool columnMajor)
    {
        var (outSize, begin, end) = Windows(xs, kernel, strides, dilations, pads, autoPad, ceil);
        int rank = kernel.Length, planes = xs[0] * xs[1], taps = kernel.Aggregate(1, (a, b) => a * b);
        int inVol = xs[2..].Aggregate(1, (a, b) => a * b), outVol = outSize.Aggregate(1, (a, b) => a * b);
        outShape = [xs[0], xs[1], .. outSize];
        var result = new double[planes * outVol];
        indices = new long[result.Length];
        for (int p = 0; p < planes; p++)
        {
            for (int q = 0; q < outVol; q++)
            {
                var pos = ConvTransposeTests.Unflatten(q, outSize);
                double acc = max ? double.NegativeInfinity : 0;
                long best = -1;
                int count = 0, padded = 0;
                for (int k = 0; k < taps; k++)
                {
                    var tap = ConvTransposeTests.Unflatten(k, kernel);
                    int at = 0, colAt = 0;
                    bool inside = true, inPadded = true;
                    var coord = new int[rank];
                    for (int a = 0; a < rank; a++)
                    {
                        coord[a] = (pos[a] * strides[a]) - begin[a] + (tap[a] * dilations[a]);
                        inside &= coord[a] >= 0 && coord[a] < xs[a + 2];
                        inPadded &= coord[a] >= -begin[a] && coord[a] < xs[a + 2] + end[a];
                        at = (at * xs[a + 2]) + coord[a];
                    }

                    for (int a = rank - 1; a >= 0; a--)
                    {
                        colAt = (colAt * xs[a + 2]) + coord[a];
                    }

                    padded += inPadded ? 1 : 0;
                    if (!inside)
                    {
                        continue;
                    }

                    count++;
                    double v = x[(p * inVol) + at];
                    if (!max)
                    {
                        acc += v;
                    }
                    else if (v > acc)
                    {
                        acc = v;
                        best = ((long)p * inVol) + (columnMajor ? colAt : at);
                    }
                }

                result[(p * outVol) + q] = max ? acc : acc / (countIncludePad ? padded : count);
                indices[(p * outVol) + q] = best;
            }
        }

        return result;
    }
}
