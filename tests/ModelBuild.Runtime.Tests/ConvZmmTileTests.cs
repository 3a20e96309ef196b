using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// On AVX-512 hardware a process runs the packed conv's 256-bit tiles until enough work has gone through them, then the
/// 512-bit ones (<see cref="ConvGemm.ZmmAfterMacs"/>). Every output must get the same bits either way, or a prediction
/// would change between a process's first calls and its later ones: channel counts around the 4- and 8-channel tiles,
/// pixel counts around the 48- and 16-pixel tiles, bias or none, ReLU or none, and a residual on
/// all, some or one of the channels (partly covered tiles take the in-place epilogue).
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class ConvZmmTileTests
{
    public static TheoryData<int, int, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int, int, int, int>();
        // Pixels (512-bit path): 48-pixel tiles alone (48) and with 16-pixel ones after them, the last placed to end at the
        // last pixel (49, 50, 61, 143, 147); 16-pixel tiles alone (16, 25, 36, 64, 112); the 256-bit path's 8-pixel last
        // tile, which keeps even and odd k apart and which the 512-bit path leaves to it (28, 52, 56, 100); below the
        // 512-bit tiles (9).
        (int H, int W, int OC)[] images =
        [
            (6, 8, 4), (7, 7, 5), (5, 10, 8), (1, 61, 12), (11, 13, 13), (10, 10, 28), (7, 21, 8), (4, 4, 8), (5, 5, 12),
            (6, 6, 16), (8, 8, 20), (8, 14, 9), (3, 3, 8), (7, 8, 8), (4, 13, 12), (4, 7, 16),
        ];
        foreach ((int h, int w, int oc) in images)
        {
            foreach (int rc in new[] { 0, oc, oc - 3, 1 }.Where(r => r >= 0).Distinct())
            {
                data.Add(h, w, oc, rc, 1, 1, 1);
            }
        }

        data.Add(15, 31, 16, 0, 3, 1, 1); // 3 × 3, stride 2: 7 × 15 outputs through im2col
        data.Add(12, 20, 9, 9, 5, 1, 1); // 5 × 5: 8 × 16 outputs

        // Channel offsets other than 0 (the epilogue's bias and residual rows are the layer's, j0 + j): groups, and
        // batches with and without a residual (without one, a batch takes one GEMM over all its images).
        data.Add(8, 8, 16, 16, 1, 2, 2);
        data.Add(8, 8, 16, 11, 1, 2, 2);
        data.Add(7, 7, 24, 21, 1, 2, 1);
        data.Add(11, 13, 20, 0, 1, 1, 3);
        data.Add(5, 10, 24, 0, 1, 2, 2);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void The_512_bit_tiles_give_the_bits_of_the_256_bit_tiles(int h, int w, int oc, int residualChannels, int kernel, int group, int batch)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit tiles do not run");
        int stride = kernel == 3 ? 2 : 1, oh = ((h - kernel) / stride) + 1, ow = ((w - kernel) / stride) + 1, c = 6, p = oh * ow;
        var s = new Conv2DShape(c, h, w, oc, oh, ow, kernel, kernel, stride, stride, 1, 1, 0, 0, 0, 0, group);
        var rng = new Random((h * 100) + w + oc + residualChannels + (1000 * group) + (10000 * batch));
        (WeightMatrix weights, double[] w64) = TestData.Matrix(rng, WeightFormat.Float32, oc, c / group * kernel * kernel);
        float[] x = TestData.Floats(rng, batch * c * h * w);
        x[0] = float.NaN;
        float[] bias = residualChannels == 1 ? [] : TestData.Floats(rng, oc);
        float[] residual = TestData.Floats(rng, Math.Max(1, batch * residualChannels * p));
        var act = residualChannels % 2 == 0 ? Activation.Relu : Activation.None;

        long saved = ConvGemm.ZmmAfterMacs;
        float[] Run(long after)
        {
            ConvGemm.ZmmAfterMacs = after;
            var y = new float[batch * oc * p];
            Kernels.Conv2D(SimdLevel.Vector256, x, weights, bias, y, new float[Kernels.Conv2DScratch(s)], s, batch, act, residual, residualChannels);
            return y;
        }

        try
        {
            float[] narrow = Run(long.MaxValue), wide = Run(0);
            Assert.Equal(narrow.Select(BitConverter.SingleToInt32Bits), wide.Select(BitConverter.SingleToInt32Bits));
            Assert.Contains(wide, float.IsNaN);

            double[] expected = Reference.Conv(x, w64, bias.Length > 0 ? bias : new float[oc], s, batch, relu: false, out double[] magnitude);
            for (int i = 0; i < expected.Length; i++)
            {
                int n = i / (oc * p), ch = i / p % oc;
                double add = ch < residualChannels ? residual[(((n * residualChannels) + ch) * p) + (i % p)] : 0;
                expected[i] = act == Activation.Relu ? Math.Max(0, expected[i] + add) : expected[i] + add;
                magnitude[i] += Math.Abs(add);
            }

            TestData.AssertClose(expected, wide, Tolerances.Dot, 1e-6, magnitude);
        }
        finally
        {
            ConvGemm.ZmmAfterMacs = saved;
        }
    }

    [Fact]
    public void A_bias_of_the_wrong_length_is_refused_before_any_tile_reads_it()
    {
        var s = new Conv2DShape(6, 8, 8, 16, 8, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
        var rng = new Random(3);
        (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Float32, 16, 6);
        float[] x = TestData.Floats(rng, 6 * 64), residual = TestData.Floats(rng, 16 * 64), y = new float[16 * 64];
        Assert.Throws<ArgumentException>(() =>
            Kernels.Conv2D(SimdLevel.Vector256, x, weights, new float[15], y, new float[Kernels.Conv2DScratch(s)], s, 1, Activation.Relu, residual, 16));
    }
}
