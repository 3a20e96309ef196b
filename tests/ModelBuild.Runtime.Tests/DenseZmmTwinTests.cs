using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// A batch-1 Dense layer on AVX-512 hardware runs <see cref="DenseBlocksZmmTwin"/> (precompiled, 256-bit) until the
/// process passes <see cref="DenseBlocksZmm.AfterMacs"/>, then the 512-bit head: the outputs must be the same bits either
/// way, for float32, int8 and asymmetric int8 weights (whose Σx the head also sums), for K with no, a 16-column and a
/// shorter tail after the 32-column chunks, and for row counts that are not a multiple of 4.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class DenseZmmTwinTests
{
    [SkippableTheory]
    [InlineData(WeightFormat.Float32, 512, 8)]
    [InlineData(WeightFormat.Float32, 784, 10)]
    [InlineData(WeightFormat.Int8, 528, 7)]
    [InlineData(WeightFormat.Int8, 1000, 12)]
    [InlineData(WeightFormat.Int8Asymmetric, 531, 9)]
    [InlineData(WeightFormat.Int8Asymmetric, 3136, 8)]
    public void The_twin_gives_the_bits_of_the_512_bit_head(WeightFormat format, int k, int rows)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit head does not run");
        var rng = new Random(k + rows + (int)format);
        (WeightMatrix w, double[] w64) = TestData.Matrix(rng, format, rows, k);
        float[] x = TestData.Floats(rng, k), bias = TestData.Floats(rng, rows);
        x[3] = -0f;

        long saved = DenseBlocksZmm.AfterMacs;
        float[] Run(long after)
        {
            DenseBlocksZmm.AfterMacs = after;
            var y = new float[rows];
            Kernels.Dense(SimdLevel.Vector256, x, w, bias, y, 1, Activation.None);
            return y;
        }

        try
        {
            float[] twin = Run(long.MaxValue), head = Run(0);
            Assert.Equal(twin.Select(BitConverter.SingleToInt32Bits), head.Select(BitConverter.SingleToInt32Bits));

            var expected = new double[rows];
            var magnitude = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                expected[r] = bias[r];
                for (int i = 0; i < k; i++)
                {
                    expected[r] += w64[(r * k) + i] * x[i];
                    magnitude[r] += Math.Abs(w64[(r * k) + i] * x[i]);
                }
            }

            TestData.AssertClose(expected, head, Tolerances.Dot, 1e-6, magnitude);
        }
        finally
        {
            DenseBlocksZmm.AfterMacs = saved;
        }
    }
}
