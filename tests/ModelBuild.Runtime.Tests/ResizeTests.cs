using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class ResizeTests
{
    private static readonly ResizeCoordinates[] s_plainModes =
    [
        ResizeCoordinates.HalfPixel, ResizeCoordinates.HalfPixelSymmetric, ResizeCoordinates.PytorchHalfPixel,
        ResizeCoordinates.AlignCorners, ResizeCoordinates.Asymmetric, ResizeCoordinates.TfHalfPixelForNn,
    ];

    // (input shape, scales or null, sizes or null): up, down, mixed, every axis of a 3-D tensor, odd widths for tails.
    private static readonly (int[] Shape, float[]? Scales, long[]? Sizes)[] s_shapes =
    [
        ([2, 3, 5, 7], [1, 1, 1.7f, 2.3f], null),
        ([1, 2, 9, 13], [1, 1, 0.6f, 0.45f], null),
        ([2, 3, 17], null, [3, 2, 40]),
        ([1, 3, 6, 37], null, [1, 3, 11, 19]),
    ];

    public static TheoryData<ResizeMode, ResizeCoordinates, NearestRounding, int, bool> Cases()
    {
        var data = new TheoryData<ResizeMode, ResizeCoordinates, NearestRounding, int, bool>();
        foreach (var coordinates in s_plainModes)
        {
            for (int shape = 0; shape < s_shapes.Length; shape++)
            {
                foreach (var rounding in new[] { NearestRounding.RoundPreferFloor, NearestRounding.RoundPreferCeil, NearestRounding.Floor, NearestRounding.Ceil })
                {
                    data.Add(ResizeMode.Nearest, coordinates, rounding, shape, false);
                }

                data.Add(ResizeMode.Linear, coordinates, NearestRounding.RoundPreferFloor, shape, false);
                data.Add(ResizeMode.Cubic, coordinates, NearestRounding.RoundPreferFloor, shape, false);
                data.Add(ResizeMode.Cubic, coordinates, NearestRounding.RoundPreferFloor, shape, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_MatchesFloat64Reference(ResizeMode mode, ResizeCoordinates coordinates, NearestRounding rounding, int shapeIndex, bool excludeOutside)
    {
        var (shape, scales, sizes) = s_shapes[shapeIndex];
        var x = TestData.Floats(new Random(shapeIndex), shape.Aggregate(1, (a, b) => a * b));
        var op = new ResizeOp(0, 2, -1, scales is null ? -1 : 1, sizes is null ? -1 : 1, [], mode, coordinates, rounding, -0.75f, excludeOutside, 0, AspectRatioPolicy.Stretch);
        var (ys, y) = Run(x, shape, op, scales, sizes);

        var outShape = sizes?.Select(v => (int)v).ToArray() ?? shape.Select((d, i) => (int)MathF.Floor(scales![i] * d)).ToArray();
        var scale = outShape.Select((d, i) => scales is null ? (double)d / shape[i] : scales[i]).ToArray();
        Assert.Equal(outShape, ys);
        var expected = Reference(x, shape, outShape, scale, null, mode, coordinates, rounding, -0.75, excludeOutside, 0);
        TestData.AssertClose(expected, y, 0, Tolerances.Interpolation);
    }

    [Theory]
    [InlineData(ResizeMode.Nearest)]
    [InlineData(ResizeMode.Linear)]
    [InlineData(ResizeMode.Cubic)]
    public void TfCropAndResize_ExtrapolatesOutsideTheRoi(ResizeMode mode)
    {
        int[] shape = [1, 2, 6, 7];
        var x = TestData.Floats(new Random(3), 2 * 6 * 7);
        float[] roi = [0, 0, -0.2f, 0.3f, 1, 1, 0.9f, 1.4f]; // reaches outside the input at both ends
        long[] sizes = [1, 2, 5, 9];
        var values = new[]
        {
            ValueDecl.Inline("roi", roi, [8]),
            ValueDecl.Inline("sizes", TensorType.Int64, sizes, [4]),
        };
        var op = new ResizeOp(0, 3, 1, -1, 2, [], mode, ResizeCoordinates.TfCropAndResize, NearestRounding.RoundPreferFloor, -0.5f, false, 7.5f, AspectRatioPolicy.Stretch);
        var result = OpHarness.RunToArrays((x, shape), values, [TensorType.Float32], op)[0];

        var scale = sizes.Select((s, i) => (double)s / shape[i]).ToArray();
        var expected = Reference(x, shape, [1, 2, 5, 9], scale, roi.Select(v => (double)v).ToArray(), mode, ResizeCoordinates.TfCropAndResize,
            NearestRounding.RoundPreferFloor, -0.5, false, 7.5);
        Assert.Contains(7.5, expected);
        Assert.Equal([1, 2, 5, 9], result.Shape);
        TestData.AssertClose(expected, result.Floats, 0, Tolerances.Interpolation);
    }

    [Theory]
    [InlineData(AspectRatioPolicy.NotLarger, 6, 10)]
    [InlineData(AspectRatioPolicy.NotSmaller, 9, 15)]
    public void KeepAspectRatio_UsesOneScaleOverTheGivenAxes(AspectRatioPolicy policy, int height, int width)
    {
        // Input 6×10, sizes 9×10 over axes [-2, -1]: scales 1.5 and 1, so not_larger → 1, not_smaller → 1.5.
        int[] shape = [1, 1, 6, 10];
        var x = TestData.Floats(new Random(4), 60);
        var values = new[] { ValueDecl.Inline("sizes", TensorType.Int64, [9L, 10L], [2]) };
        var op = new ResizeOp(0, 2, -1, -1, 1, [-2, -1], ResizeMode.Linear, ResizeCoordinates.HalfPixel, NearestRounding.RoundPreferFloor, -0.75f, false, 0, policy);
        var result = OpHarness.RunToArrays((x, shape), values, [TensorType.Float32], op)[0];

        Assert.Equal([1, 1, height, width], result.Shape);
        double s = policy == AspectRatioPolicy.NotLarger ? 1 : 1.5;
        var expected = Reference(x, shape, [1, 1, height, width], [1, 1, s, s], null, ResizeMode.Linear, ResizeCoordinates.HalfPixel,
            NearestRounding.RoundPreferFloor, -0.75, false, 0);
        TestData.AssertClose(expected, result.Floats, 0, Tolerances.Interpolation);
    }

    [Fact]
    public void LegacyNearest_TruncatesWhenEnlarging_AndRoundsUpWhenShrinking()
    {
        // Upsample / Resize-10: asymmetric coordinates; W ×2.5 takes ⌊j/2.5⌋, H ×0.5 takes ⌈2i⌉ (clamped).
        int[] shape = [1, 1, 5, 4];
        var x = Enumerable.Range(0, 20).Select(v => (float)v).ToArray();
        var op = new ResizeOp(0, 2, -1, 1, -1, [], ResizeMode.Nearest, ResizeCoordinates.Asymmetric, NearestRounding.Legacy, -0.75f, false, 0, AspectRatioPolicy.Stretch);
        var (ys, y) = Run(x, shape, op, [1, 1, 0.5f, 2.5f], null);

        Assert.Equal([1, 1, 2, 10], ys);
        int[] rows = [0, 2], cols = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3];
        Assert.Equal(rows.SelectMany(r => cols.Select(c => (float)((r * 4) + c))), y);
    }

    [Fact]
    public void Nearest2x_LargePlanes_MatchReference()
    {
        // PP-OCR's upsampling: asymmetric floor ×2 on planes wide enough for the row-copy path.
        int[] shape = [2, 5, 16, 33];
        var x = TestData.Floats(new Random(5), shape.Aggregate(1, (a, b) => a * b));
        var op = new ResizeOp(0, 2, -1, 1, -1, [], ResizeMode.Nearest, ResizeCoordinates.Asymmetric, NearestRounding.Floor, -0.75f, false, 0, AspectRatioPolicy.Stretch);
        var (ys, y) = Run(x, shape, op, [1, 1, 2, 2], null);

        Assert.Equal([2, 5, 32, 66], ys);
        var expected = Reference(x, shape, ys, [1, 1, 2, 2], null, ResizeMode.Nearest, ResizeCoordinates.Asymmetric, NearestRounding.Floor, -0.75, false, 0);
        TestData.AssertClose(expected, y, 0, 0);
    }

    [Fact]
    public void ComputedEmptyScales_WithoutSizes_IsAClearError()
    {
        var values = new[] { ValueDecl.Inline("scales", [], [0]) };
        var op = new ResizeOp(0, 2, -1, 1, -1, [], ResizeMode.Nearest, ResizeCoordinates.HalfPixel, NearestRounding.Floor, -0.75f, false, 0, AspectRatioPolicy.Stretch);
        var e = Assert.Throws<ArgumentException>(() => OpHarness.RunToArrays(([1f, 2f], [1, 2]), values, [TensorType.Float32], op));
        Assert.Contains("neither scales nor sizes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void ResizeAxis_EveryLevel_MatchesWeightedSum(int level)
    {
        var rng = new Random(level);
        foreach (int inner in new[] { 1, 3, 4, 7, 8, 9, 17, 33 })
        {
            foreach (int taps in new[] { 1, 2, 4 })
            {
                const int outer = 3, inSize = 5, outSize = 7;
                var src = TestData.Floats(rng, outer * inSize * inner);
                var idx = Enumerable.Range(0, outSize * taps).Select(_ => rng.Next(inSize)).ToArray();
                var wt = TestData.Floats(rng, outSize * taps, -1.5f, 1.5f);
                if (taps == 1)
                {
                    Array.Fill(wt, 1f);
                }

                var dst = new float[outer * outSize * inner];
                Kernels.ResizeAxis((SimdLevel)level, src, dst, outer, inSize, outSize, inner, idx, wt, taps);
                var expected = new double[dst.Length];
                for (int o = 0; o < outer; o++)
                {
                    for (int j = 0; j < outSize; j++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            double sum = 0;
                            for (int t = 0; t < taps; t++)
                            {
                                sum += wt[(j * taps) + t] * (double)src[(((o * inSize) + idx[(j * taps) + t]) * inner) + i];
                            }

                            expected[(((o * outSize) + j) * inner) + i] = sum;
                        }
                    }
                }

                TestData.AssertClose(expected, dst, 0, Tolerances.Interpolation);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void ResizeAxis_Doubling_EveryLevel(int level)
    {
        // The ×2 nearest pattern (idx[j] = j/2) on the last axis has its own vector path; odd output widths end in a tail.
        foreach (int outSize in new[] { 1, 2, 7, 8, 9, 16, 17, 66 })
        {
            int inSize = (outSize + 1) / 2;
            var src = TestData.Floats(new Random(outSize), 3 * inSize);
            var idx = Enumerable.Range(0, outSize).Select(j => j / 2).ToArray();
            var dst = new float[3 * outSize];
            Kernels.ResizeAxis((SimdLevel)level, src, dst, 3, inSize, outSize, 1, idx, Enumerable.Repeat(1f, outSize).ToArray(), 1);
            Assert.Equal(Enumerable.Range(0, 3 * outSize).Select(i => src[((i / outSize) * inSize) + ((i % outSize) / 2)]), dst);
        }
    }

    private static (int[] Shape, float[] Values) Run(float[] x, int[] shape, ResizeOp op, float[]? scales, long[]? sizes)
    {
        var constant = scales is not null ? ValueDecl.Inline("scales", scales, [scales.Length]) : ValueDecl.Inline("sizes", TensorType.Int64, sizes!, [sizes!.Length]);
        var result = OpHarness.RunToArrays((x, shape), [constant], [TensorType.Float32], op)[0];
        return (result.Shape, result.Floats);
    }

    /// <summary>
    /// ONNX Resize computed directly per output element in float64 (not separably): each axis's coordinate, then the
    /// product of the axes' tap weights over every combination of taps; samples past an edge repeat the edge.
    /// </summary>
    private static double[] Reference(float[] x, int[] xs, int[] ys, double[] scale, double[]? roi, ResizeMode mode, ResizeCoordinates coordinates,
        NearestRounding rounding, double a, bool excludeOutside, double extrapolation)
    {
        int rank = xs.Length;
        var result = new double[ys.Aggregate(1, (p, d) => p * d)];
        var index = new int[rank];
        for (int flat = 0; flat < result.Length; flat++)
        {
            for (int r = rank - 1, rest = flat; r >= 0; r--)
            {
                index[r] = rest % ys[r];
                rest /= ys[r];
            }

            var taps = new List<(int Index, double Weight)>[rank];
            bool outside = false;
            for (int r = 0; r < rank; r++)
            {
                double start = roi?[r] ?? 0, end = roi?[r + rank] ?? 1;
                double c = Coordinate(coordinates, index[r], xs[r], ys[r], scale[r], start, end);
                outside |= coordinates == ResizeCoordinates.TfCropAndResize && (c < 0 || c > xs[r] - 1);
                taps[r] = Taps(c, xs[r], mode, rounding, scale[r] < 1, a, excludeOutside);
            }

            result[flat] = outside ? extrapolation : Sum(x, xs, taps, 0, 0, 1);
        }

        return result;
    }

    private static double Sum(float[] x, int[] xs, List<(int Index, double Weight)>[] taps, int axis, int offset, double weight)
    {
        if (axis == xs.Length)
        {
            return weight * x[offset];
        }

        double sum = 0;
        foreach (var (i, w) in taps[axis])
        {
            sum += Sum(x, xs, taps, axis + 1, (offset * xs[axis]) + i, weight * w);
        }

        return sum;
    }

    private static double Coordinate(ResizeCoordinates mode, int j, int lengthIn, int lengthOut, double s, double start, double end) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((j + 0.5) / s) - 0.5,
        ResizeCoordinates.HalfPixelSymmetric => (lengthIn / 2.0 * (1 - (lengthOut / (s * lengthIn)))) + ((j + 0.5) / s) - 0.5,
        ResizeCoordinates.PytorchHalfPixel => lengthOut > 1 ? ((j + 0.5) / s) - 0.5 : 0,
        ResizeCoordinates.AlignCorners => lengthOut == 1 ? 0 : j * (lengthIn - 1.0) / (lengthOut - 1),
        ResizeCoordinates.Asymmetric => j / s,
        ResizeCoordinates.TfHalfPixelForNn => (j + 0.5) / s,
        _ => lengthOut > 1 ? (start * (lengthIn - 1)) + (j * (end - start) * (lengthIn - 1) / (lengthOut - 1)) : 0.5 * (start + end) * (lengthIn - 1),
    };

    private static List<(int, double)> Taps(double c, int length, ResizeMode mode, NearestRounding rounding, bool shrinking, double a, bool excludeOutside)
    {
        int Edge(int i) => Math.Clamp(i, 0, length - 1);
        int x0 = (int)Math.Floor(c);
        double r = c - x0;
        switch (mode)
        {
            case ResizeMode.Nearest:
                int n = rounding switch
                {
                    NearestRounding.RoundPreferFloor => r <= 0.5 ? x0 : x0 + 1,
                    NearestRounding.RoundPreferCeil => r < 0.5 ? x0 : x0 + 1,
                    NearestRounding.Floor => x0,
                    NearestRounding.Ceil => r == 0 ? x0 : x0 + 1,
                    _ => shrinking ? (r == 0 ? x0 : x0 + 1) : (int)Math.Truncate(c),
                };
                return [(Edge(n), 1)];
            case ResizeMode.Linear:
                return [(Edge(x0), 1 - r), (Edge(x0 + 1), r)];
            default:
                // The reference's coefficient polynomials in the fractional part r.
                double[] w =
                [
                    ((((a * (r + 1)) - (5 * a)) * (r + 1)) + (8 * a)) * (r + 1) - (4 * a),
                    ((((a + 2) * r) - (a + 3)) * r * r) + 1,
                    ((((a + 2) * (1 - r)) - (a + 3)) * (1 - r) * (1 - r)) + 1,
                    ((((a * (2 - r)) - (5 * a)) * (2 - r)) + (8 * a)) * (2 - r) - (4 * a),
                ];
                var taps = new List<(int, double)>();
                for (int t = 0; t < 4; t++)
                {
                    int i = x0 - 1 + t;
                    taps.Add((Edge(i), excludeOutside && (i < 0 || i >= length) ? 0 : w[t]));
                }

                double total = taps.Sum(t => t.Item2);
                return excludeOutside ? taps.Select(t => (t.Item1, t.Item2 / total)).ToList() : taps;
        }
    }
}
