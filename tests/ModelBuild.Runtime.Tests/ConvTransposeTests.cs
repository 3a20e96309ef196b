using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

public sealed class ConvTransposeTests
{
    /// <summary>One case with its output size and leading pads worked out by hand from the ONNX formulas.</summary>
    public sealed record Case(string Name, int[] X, int Oc, int Group, int[] Kernel, int[] Strides, int[] Dilations, int[] Pads, int[] OutputPadding,
        int[] OutputShape, string AutoPad, int[] ExpectedOut, int[] ExpectedBegin)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() =>
    [
        // full = 2·6 + 1 + 3 = 16, minus pads 1 + 0.
        new("1-D pads + output_padding", [2, 3, 7], 4, 1, [3], [2], [1], [1, 0], [1], [], "NOTSET", [15], [1]),
        new("2-D 2x2 stride 2 (PP-OCR)", [1, 8, 5, 6], 5, 1, [2, 2], [2, 2], [1, 1], [0, 0, 0, 0], [0, 0], [], "NOTSET", [10, 12], [0, 0]),
        // full width = 2·(19 − 1) + 2 + 1 = 39: the interleaved col2im's 8-wide blocks, its tail and the extra column.
        new("2-D 2x2 stride 2, output_padding, 19 wide", [2, 3, 4, 19], 4, 1, [2, 2], [2, 2], [1, 1], [0, 0, 0, 0], [1, 1], [], "NOTSET", [9, 39], [0, 0]),
        new("2-D wide, packed tiles", [1, 16, 9, 13], 8, 1, [2, 2], [2, 2], [1, 1], [0, 0, 0, 0], [0, 0], [], "NOTSET", [18, 26], [0, 0]),
        // H: 3 + (2·2 + 1) = 8 − 1 − 2 = 5; W: 2·4 + 1 + 2 = 11 − 0 − 1 = 10.
        new("2-D groups, dilations, asymmetric pads", [2, 4, 4, 5], 6, 2, [3, 2], [1, 2], [2, 1], [1, 0, 2, 1], [0, 1], [], "NOTSET", [5, 10], [1, 0]),
        new("depthwise stride 1", [1, 3, 6, 7], 3, 3, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], [0, 0], [], "NOTSET", [6, 7], [1, 1]),
        // full 7, target 6: total 1 → SAME_UPPER pads at the end, SAME_LOWER at the start.
        new("SAME_UPPER", [1, 2, 3, 3], 2, 1, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], [0, 0], [], "SAME_UPPER", [6, 6], [0, 0]),
        new("SAME_LOWER", [1, 2, 3, 3], 2, 1, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], [0, 0], [], "SAME_LOWER", [6, 6], [1, 1]),
        // H: full 9 < 10 → one zero row at the end; W: full 7 < 8 likewise.
        new("output_shape larger", [1, 1, 3, 3], 2, 1, [3, 3], [3, 2], [1, 1], [0, 0, 0, 0], [0, 0], [10, 8], "NOTSET", [10, 8], [0, 0]),
        // full 9: totals 1 and 2 → the extra unit at the start.
        new("output_shape smaller", [1, 2, 4, 4], 3, 1, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], [0, 0], [8, 7], "NOTSET", [8, 7], [1, 1]),
        new("VALID", [1, 2, 3, 4], 2, 1, [2, 3], [2, 1], [1, 1], [1, 1, 1, 1], [0, 0], [], "VALID", [6, 6], [0, 0]),
        // D: 2·2 + 2 = 6 − 0 − 1; H: 3 + 3 = 6 − 1 − 0; W: 2·2 + 2 = 6 − 0 − 1.
        new("3-D", [1, 2, 3, 4, 3], 3, 1, [2, 3, 2], [2, 1, 2], [1, 1, 1], [0, 1, 0, 1, 0, 1], [0, 0, 0], [], "NOTSET", [5, 5, 5], [0, 1, 0]),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvTranspose_MatchesFloat64Scatter(Case t)
    {
        var rng = new Random(t.Name.Length);
        int c = t.X[1], taps = t.Kernel.Aggregate(1, (a, b) => a * b), cg = c / t.Group;
        var x = TestData.Floats(rng, t.X.Aggregate(1, (a, b) => a * b));
        var matrix = TestData.Floats(rng, t.Oc * taps * cg);
        var bias = TestData.Floats(rng, t.Oc);
        var op = new ConvTransposeOp(0, 1, 0, 1, t.Kernel, t.Strides, t.Dilations, t.Pads, t.OutputPadding, t.OutputShape, t.AutoPad, t.Group);
        var result = OpHarness.RunToArrays((x, t.X), [], [TensorType.Float32], op, (matrix, [t.Oc * taps, cg]), (bias, [t.Oc]))[0];

        Assert.Equal([t.X[0], t.Oc, .. t.ExpectedOut], result.Shape);
        var expected = Scatter(x, t.X, matrix, bias, t.Oc, t.Group, t.Kernel, t.Strides, t.Dilations, t.ExpectedBegin, t.ExpectedOut);
        TestData.AssertClose(expected, result.Floats, Tolerances.Dot, Tolerances.Interpolation);
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void ConvTransposeKernel_EveryLevel(int level)
    {
        var rng = new Random(level);
        int[] xs = [2, 6, 7, 9];
        var x = TestData.Floats(rng, xs.Aggregate(1, (a, b) => a * b));
        var matrix = TestData.Floats(rng, 4 * 9 * 3);
        var w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [36, 3], BlobWriter.Float32(matrix))])).Matrix(0);
        var s = new ConvTransposeShape(6, 4, 2, new Dims3(1, 7, 9), new Dims3(1, 15, 19), new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(1, 1, 1), new Dims3(0, 0, 0));
        var y = new float[2 * 4 * 15 * 19];
        Kernels.ConvTranspose((SimdLevel)level, x, w, [], y, new float[Kernels.ConvTransposeScratch(s)], s, 2);

        var expected = Scatter(x, xs, matrix, new float[4], 4, 2, [3, 3], [2, 2], [1, 1], [0, 0], [15, 19]);
        TestData.AssertClose(expected, y, Tolerances.Dot, Tolerances.Interpolation);
    }

    /// <summary>
    /// y[n, g·ocg + oc, i·s − begin + k·d] += x[n, g·cg + ci, i]·W[(g·ocg + oc)·taps + k, ci] over every input position
    /// and tap landing inside the output, plus the bias (the definition of a transposed convolution).
    /// </summary>
    private static double[] Scatter(float[] x, int[] xs, float[] matrix, float[] bias, int oc, int group, int[] kernel, int[] strides, int[] dilations,
        int[] begin, int[] outSize)
    {
        int n = xs[0], c = xs[1], cg = c / group, ocg = oc / group, rank = kernel.Length;
        int inVol = xs[2..].Aggregate(1, (a, b) => a * b), outVol = outSize.Aggregate(1, (a, b) => a * b), taps = kernel.Aggregate(1, (a, b) => a * b);
        var y = new double[n * oc * outVol];
        for (int b = 0; b < n; b++)
        {
            for (int o = 0; o < oc; o++)
            {
                for (int q = 0; q < outVol; q++)
                {
                    y[(((b * oc) + o) * outVol) + q] = bias[o];
                }
            }

            for (int ch = 0; ch < c; ch++)
            {
                int g = ch / cg, ci = ch % cg;
                for (int i = 0; i < inVol; i++)
                {
                    var pos = Unflatten(i, xs[2..]);
                    for (int k = 0; k < taps; k++)
                    {
                        var tap = Unflatten(k, kernel);
                        int flat = 0;
                        bool inside = true;
                        for (int a = 0; a < rank; a++)
                        {
                            int at = (pos[a] * strides[a]) - begin[a] + (tap[a] * dilations[a]);
                            inside &= at >= 0 && at < outSize[a];
                            flat = (flat * outSize[a]) + at;
                        }

                        if (!inside)
                        {
                            continue;
                        }

                        for (int o = 0; o < ocg; o++)
                        {
                            int row = (((g * ocg) + o) * taps) + k;
                            y[(((b * oc) + (g * ocg) + o) * outVol) + flat] += x[(((b * c) + ch) * inVol) + i] * (double)matrix[(row * cg) + ci];
                        }
                    }
                }
            }
        }

        return y;
    }

    internal static int[] Unflatten(int flat, int[] dims)
    {
        var result = new int[dims.Length];
        for (int a = dims.Length - 1; a >= 0; a--)
        {
            result[a] = flat % dims[a];
            flat /= dims[a];
        }

        return result;
    }
}
