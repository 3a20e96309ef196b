using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// A batch-1 Dense layer on AVX-512 hardware runs <see cref="DenseBlocksZmmTwin"/> (precompiled, 256-bit) until the
/// process passes <see cref="DenseBlocksZmm.AfterMacs"/>, then the 512-bit head: the outputs must be the same bits either
/// way, for float32, int8 and asymmetric int8 weights (whose Σx the head also sums), for K with no, a 16-column and a
/// shorter tail after the 32-column chunks, and for row counts that are not a multiple of 4. The same for the batched
/// GEMM's 512-bit tile and its twin (<see cref="DenseGemm.ZmmAfterMacs"/>).
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

    /// <summary>
    /// The batched GEMM's twin (<c>DenseGemm.ZmmTwin</c>: the 256-bit tiles over each half of a 32-channel panel, rows in
    /// 6s) gives the bits of <see cref="DenseGemm.Tile8x2Zmm"/>: float panels and int8 panels (over 256 K weights), one
    /// and several K blocks, row counts that fill 8-row blocks and that leave 1–7 rows, N that fills 32-channel panels
    /// (the epilogue fused into the tiles' stores) and that leaves part of the last, one and two threads.
    /// </summary>
    [SkippableTheory]
    [InlineData(WeightFormat.Float32, 8, 32, 100, 1)]
    [InlineData(WeightFormat.Float32, 13, 40, 300, 1)]
    [InlineData(WeightFormat.Float32, 64, 100, 1000, 2)]
    [InlineData(WeightFormat.Int8, 15, 70, 120, 1)]
    [InlineData(WeightFormat.Int8, 70, 600, 512, 1)]
    [InlineData(WeightFormat.Int8, 23, 600, 520, 2)]
    [InlineData(WeightFormat.Float32, 13, 64, 300, 2)] // whole panels: bias and ReLU fused into the stores, a 5-row tail
    [InlineData(WeightFormat.Int8, 13, 640, 450, 1)] // the same with int8 panels: the channel scales in the epilogue too
    [InlineData(WeightFormat.Float32, 70, 5, 3000, 3)] // fewer channels than one panel, rows split over threads
    [InlineData(WeightFormat.Int8, 40, 9, 30000, 3)] // the same with int8 panels (270 K weights)
    public void The_batched_twin_gives_the_bits_of_the_512_bit_tile(WeightFormat format, int rows, int n, int k, int threads)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "no AVX-512 here: the 512-bit GEMM tile does not run");
        var rng = new Random(rows + n + k + (int)format);
        (WeightMatrix w, double[] w64) = TestData.Matrix(rng, format, n, k);
        float[] x = TestData.Floats(rng, rows * k), bias = TestData.Floats(rng, n);
        x[5] = float.NaN;

        long saved = DenseGemm.ZmmAfterMacs;
        float[] Run(long after)
        {
            DenseGemm.ZmmAfterMacs = after;
            var y = new float[rows * n];
            Kernels.Dense(SimdLevel.Vector256, x, w, bias, y, rows, Activation.Relu, threads);
            return y;
        }

        try
        {
            float[] twin = Run(long.MaxValue), tile = Run(0);
            Assert.Equal(twin.Select(BitConverter.SingleToInt32Bits), tile.Select(BitConverter.SingleToInt32Bits));
            Assert.True(float.IsNaN(tile[0]));

            var expected = new double[rows * n];
            var magnitude = new double[rows * n];
            for (int r = 1; r < rows; r++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = bias[j], size = 0;
                    for (int i = 0; i < k; i++)
                    {
                        sum += w64[(j * k) + i] * x[(r * k) + i];
                        size += Math.Abs(w64[(j * k) + i] * x[(r * k) + i]);
                    }

                    expected[(r * n) + j] = Math.Max(0, sum);
                    magnitude[(r * n) + j] = size;
                }
            }

            TestData.AssertClose(expected.AsSpan(n).ToArray(), tile.AsSpan(n).ToArray(), Tolerances.Dot, 1e-6, magnitude.AsSpan(n).ToArray());
        }
        finally
        {
            DenseGemm.ZmmAfterMacs = saved;
        }
    }
}
