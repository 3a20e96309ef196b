using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Conv with a fused residual Add (+ Relu): <c>act(conv(x) + r)</c> with r on the first R ≤ OC channels. Checked
/// against the float64 reference, and bit for bit against the unfused sequence (conv, then Add, then Relu) that the
/// fusion replaces, on every path: epilogue (packed pointwise, phase planes) and second pass (im2col, depthwise, unpacked).
/// </summary>
public sealed class ConvResidualTests
{
    private static Conv2DShape Shape(int c, int h, int w, int oc, int kh, int kw, int sh = 1, int sw = 1, int pad = 0, int group = 1)
    {
        int oh = ((h + (2 * pad) - kh) / sh) + 1, ow = ((w + (2 * pad) - kw) / sw) + 1;
        return new Conv2DShape(c, h, w, oc, oh, ow, kh, kw, sh, sw, 1, 1, pad, pad, pad, pad, group);
    }

    private static readonly (string Name, Conv2DShape Shape)[] Shapes =
    [
        // BlazeFace's block tail in small: 1×1 over 16×16 (24-wide tiles with the panel copy, 3 channel blocks).
        ("pointwise 16x16, 12 channels", Shape(8, 16, 16, 12, 1, 1)),
        ("pointwise 44 pixels (24 + shifted 24), 6 channels", Shape(5, 4, 11, 6, 1, 1)),
        ("pointwise 20 pixels (16-wide tiles), 7 channels", Shape(5, 4, 5, 7, 1, 1)),
        ("pointwise 6 pixels (4-wide + scalar tail)", Shape(3, 2, 3, 6, 1, 1)),
        ("pointwise 7x7 = 49 pixels (AVX-512: 48 + 1)", Shape(9, 7, 7, 10, 1, 1)),
        ("pointwise groups 2", Shape(8, 5, 5, 6, 1, 1, group: 2)),
        ("phase planes: 3x3 pad 1, 41 wide", Shape(4, 5, 41, 5, 3, 3, pad: 1)),
        ("phase planes: 5x5 stride 2, 20 wide", Shape(3, 11, 40, 9, 5, 5, sh: 2, sw: 2, pad: 2)),
        ("im2col: 3x3 pad 1, 9 wide", Shape(3, 9, 9, 5, 3, 3, pad: 1)),
        ("channel vectors: 5x5 pad 2, 16 channels", Shape(4, 9, 9, 16, 5, 5, pad: 2)),
        ("depthwise 3x3 pad 1", Shape(8, 10, 10, 8, 3, 3, pad: 1, group: 8)),
    ];

    public static TheoryData<int, int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, int, bool>();
        foreach (int level in TestData.Levels)
        {
            for (int i = 0; i < Shapes.Length; i++)
            {
                int oc = Shapes[i].Shape.OC;

                // All channels, a channel-padded residual (not a multiple of the 4-channel block), and a single channel.
                foreach (int rc in new[] { oc, oc - 3, 1 }.Where(r => r >= 1).Distinct())
                {
                    data.Add(level, i, rc, true);
                    data.Add(level, i, rc, false);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2D_WithResidual_MatchesReferenceAndTheUnfusedOps(int level, int shapeIndex, int residualChannels, bool relu)
    {
        Conv2DShape s = Shapes[shapeIndex].Shape;
        const int batch = 2;
        int p = s.OH * s.OW;
        var rng = new Random((shapeIndex * 31) + residualChannels);
        (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, s.OC, s.C / s.Group * s.KH * s.KW);
        float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
        float[] bias = TestData.Floats(rng, s.OC);
        float[] r = TestData.Floats(rng, batch * residualChannels * p);
        var act = relu ? Activation.Relu : Activation.None;

        var fused = new float[batch * s.OC * p];
        Kernels.Conv2D((SimdLevel)level, x, w, bias, fused, new float[Kernels.Conv2DScratch(s)], s, batch, act, r, residualChannels);

        // The ops the fusion replaces: Conv without activation, Add of the zero-padded residual, Relu.
        var unfused = new float[fused.Length];
        Kernels.Conv2D((SimdLevel)level, x, w, bias, unfused, new float[Kernels.Conv2DScratch(s)], s, batch, Activation.None);
        double[] expected = Reference.Conv(x, wd, bias, s, batch, relu: false, out double[] magnitude);
        for (int i = 0; i < unfused.Length; i++)
        {
            int n = i / (s.OC * p), ch = i / p % s.OC;
            float add = ch < residualChannels ? r[(((n * residualChannels) + ch) * p) + (i % p)] : 0f;
            float sum = unfused[i] + add;
            unfused[i] = relu && sum < 0 ? 0 : sum;
            expected[i] = relu ? Math.Max(0, expected[i] + add) : expected[i] + add;
            magnitude[i] += Math.Abs(add);
        }

        TestData.AssertClose(expected, fused, Tolerances.Dot, 1e-7, magnitude);
        Assert.Equal(unfused, fused);
    }

    [Fact]
    public void ConvOp_WithResidual_TakesAChannelPaddedResidualAndRefusesOneThatDoesNotFit()
    {
        var rng = new Random(5);
        int[] xs = [2, 6, 5, 7];
        float[] x = TestData.Floats(rng, 2 * 6 * 5 * 7), w = TestData.Floats(rng, 8 * 6), bias = TestData.Floats(rng, 8);
        ConvOp Op(int residual) => new(0, 2, 0, 1, [1, 1], [1, 1], [1, 1], [0, 0, 0, 0], "NOTSET", 1, Activation.Relu, residual);

        float[] r = TestData.Floats(rng, 2 * 5 * 5 * 7);
        var h = new OpHarness();
        int xv = h.Floats(x, xs), rv = h.Floats(r, 2, 5, 5, 7), yv = h.Output();
        h.BlobFloats(w, 8, 6);
        h.BlobFloats(bias);
        var y = h.Run(Op(rv)).Floats(yv).ToArray();

        var plain = OpHarness.RunToArrays((x, xs), [], [TensorType.Float32], Op(-1) with { Y = 1, Act = Activation.None }, (w, [8, 6]), (bias, [8]))[0].Floats;
        for (int i = 0; i < y.Length; i++)
        {
            int n = i / (8 * 35), ch = i / 35 % 8;
            float sum = plain[i] + (ch < 5 ? r[(((n * 5) + ch) * 35) + (i % 35)] : 0f);
            Assert.Equal(sum < 0 ? 0 : sum, y[i]);
        }

        // More channels than the output, or other spatial sizes: an error naming both shapes, not a wrong read.
        foreach (int[] bad in new[] { new[] { 2, 9, 5, 7 }, [2, 5, 5, 6], [1, 5, 5, 7] })
        {
            var hb = new OpHarness();
            hb.Floats(x, xs);
            int rb = hb.Floats(new float[bad.Aggregate(1, (a, b) => a * b)], bad);
            hb.Output();
            hb.BlobFloats(w, 8, 6);
            hb.BlobFloats(bias);
            var ex = Assert.ThrowsAny<ArgumentException>(() => hb.Run(Op(rb)));
            Assert.Contains("residual", ex.Message, StringComparison.Ordinal);
        }
    }
}
