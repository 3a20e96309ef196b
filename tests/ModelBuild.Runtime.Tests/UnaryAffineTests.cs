namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="Kernels.UnaryAffine"/> (an activation with PP-LCNetV3's scalar Mul and Add fused) gives the bits of the
/// three passes it replaces: the function, then the product, then the sum, each rounded, at the machine's SIMD level
/// (run the suite with <c>DOTNET_EnableAVX2=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c> for the others).
/// </summary>
public sealed class UnaryAffineTests
{
    [Theory]
    [InlineData(UnaryFunction.HardSwish, 0f, 0f)]
    [InlineData(UnaryFunction.Sigmoid, 0f, 0f)]
    [InlineData(UnaryFunction.HardSigmoid, 0.2f, 0.5f)]
    [InlineData(UnaryFunction.Tanh, 0f, 0f)]   // no one-pass form: function, product, sum
    public void Fused_affine_has_the_bits_of_the_three_passes(UnaryFunction f, float alpha, float beta)
    {
        foreach (int n in new[] { 1, 3, 4, 8, 13, 64, 1001 })
        {
            var rng = new Random(n);
            float[] x = TestData.Floats(rng, n, -6, 6);
            x[0] = float.NaN;
            const float Scale = 0.1675188f, Shift = -0.20085478f; // ppocr_rec's first block
            var expected = new float[n];
            Kernels.Unary(f, x, expected, alpha, beta);
            for (int i = 0; i < n; i++)
            {
                float product = expected[i] * Scale;
                expected[i] = product + Shift;
            }

            var fused = new float[n];
            Kernels.UnaryAffine(f, x, fused, alpha, beta, Scale, Shift);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), fused.Select(BitConverter.SingleToInt32Bits));

            // In place, as the planner may run it.
            float[] inPlace = (float[])x.Clone();
            Kernels.UnaryAffine(f, inPlace, inPlace, alpha, beta, Scale, Shift);
            Assert.Equal(fused.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
