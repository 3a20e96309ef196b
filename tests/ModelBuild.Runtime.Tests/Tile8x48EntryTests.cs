using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The 8 × 48 conv tile has two entries, tiered and compiled optimised at once (<see cref="Tile8x48Zmm.Hot"/> picks one
/// by the multiply-adds the process has run through it): both must give the same bits, with a residual-free 1×1 conv
/// of 16 → 24 channels on 8 × 12 pixels (two 48-pixel tiles, 8-channel tiles and a 4-channel rest) and ReLU.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class Tile8x48EntryTests
{
    [SkippableFact]
    public void Optimised_entry_gives_the_bits_of_the_tiered_one()
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "no AVX-512 here: the 8 × 48 tile does not run");
        long saved = Tile8x48Zmm.OptimizedAfterMacs;
        try
        {
            var rng = new Random(48);
            var s = new Conv2DShape(16, 8, 12, 28, 8, 12, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
            (WeightMatrix weights, _) = TestData.Matrix(rng, WeightFormat.Float32, 28, 16);
            float[] x = TestData.Floats(rng, 16 * 96);
            float[] bias = TestData.Floats(rng, 28);
            var tiered = new float[28 * 96];
            var optimised = new float[28 * 96];

            Tile8x48Zmm.OptimizedAfterMacs = long.MaxValue;
            Kernels.Conv2D(SimdLevel.Vector256, x, weights, bias, tiered, [], s, 1, Activation.Relu);
            Tile8x48Zmm.OptimizedAfterMacs = 0;
            Kernels.Conv2D(SimdLevel.Vector256, x, weights, bias, optimised, [], s, 1, Activation.Relu);

            Assert.Equal(tiered.Select(BitConverter.SingleToInt32Bits), optimised.Select(BitConverter.SingleToInt32Bits));
            double[] w64 = [.. weights.Floats.ToArray().Select(v => (double)v)];
            double[] expected = Reference.Conv(x, w64, bias, s, 1, relu: true, out double[] magnitude);
            TestData.AssertClose(expected, optimised, Tolerances.Dot, 1e-6, magnitude);
        }
        finally
        {
            Tile8x48Zmm.OptimizedAfterMacs = saved;
        }
    }
}
