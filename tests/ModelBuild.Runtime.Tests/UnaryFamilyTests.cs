namespace ModelBuild.Runtime.Tests;

/// <summary>Exact values and edge cases of the rounding, logarithm, softplus and threshold functions at every SIMD level.</summary>
public sealed class UnaryFamilyTests
{
    private static float[] Run(int level, UnaryFunction f, float[] x, float alpha = 0, float beta = 0)
    {
        var y = new float[x.Length];
        Kernels.Unary((SimdLevel)level, f, x, y, alpha, beta);
        return y;
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Round_HalvesGoToEven(int level)
    {
        float[] x = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.7f, -3.7f, 1e8f, 0.49999997f, -0f];
        Assert.Equal([0f, 2f, 2f, -0f, -2f, -2f, 4f, -4f, 1e8f, 0f, -0f], Run(level, UnaryFunction.Round, x));
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Floor_Ceil_Sign_Reciprocal_ExactValues(int level)
    {
        float[] x = [-2.5f, -1f, -0.25f, 0f, 0.25f, 1f, 2.5f, 7.999f, float.NaN];
        Assert.Equal([-3f, -1f, -1f, 0f, 0f, 1f, 2f, 7f, float.NaN], Run(level, UnaryFunction.Floor, x));
        Assert.Equal([-2f, -1f, -0f, 0f, 1f, 1f, 3f, 8f, float.NaN], Run(level, UnaryFunction.Ceil, x));
        Assert.Equal([-1f, -1f, -1f, 0f, 1f, 1f, 1f, 1f, float.NaN], Run(level, UnaryFunction.Sign, x));
        Assert.Equal([-0.4f, -1f, -4f, float.PositiveInfinity, 4f, 1f, 0.4f, 1f / 7.999f, float.NaN], Run(level, UnaryFunction.Reciprocal, x));
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Log_And_Softplus_Limits(int level)
    {
        float[] x = [0f, -1f, 1f, float.PositiveInfinity, 100f, -100f, float.NegativeInfinity, float.NaN];
        float[] log = Run(level, UnaryFunction.Log, x);
        Assert.Equal(float.NegativeInfinity, log[0]);
        Assert.True(float.IsNaN(log[1]) && float.IsNaN(log[7]));
        Assert.Equal([0f, float.PositiveInfinity], log[2..4]);

        // The naive ln(1 + e^x) overflows to ∞ at 100; the stable form gives x.
        float[] softplus = Run(level, UnaryFunction.Softplus, x);
        Assert.Equal(100f, softplus[4]);
        Assert.Equal(float.PositiveInfinity, softplus[3]);
        Assert.Equal(0f, softplus[6]);
        Assert.InRange(softplus[5], 0f, 1e-40f);
        Assert.Equal(MathF.Log(2f), softplus[0], 6);
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Thresholds_AreStrict(int level)
    {
        float[] x = [-1f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 1f, 2f, 3f];
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 0f, 2f, 3f], Run(level, UnaryFunction.ThresholdedRelu, x, alpha: 1f));
        Assert.Equal([-0.75f, 0f, 0f, 0f, 0f, 0f, 0.75f, 1.75f, 2.75f], Run(level, UnaryFunction.Shrink, x, alpha: 0.5f, beta: 0.25f));
    }

    [Theory]
    [MemberData(nameof(TestData.Levels), MemberType = typeof(TestData))]
    public void Sin_Cos_LargeArguments_MatchFloat64(int level)
    {
        float[] x = TestData.Floats(new Random(5), 203, -1000f, 1000f);
        foreach (var f in new[] { UnaryFunction.Sin, UnaryFunction.Cos })
        {
            float[] y = Run(level, f, x);
            TestData.AssertClose(x.Select(v => Reference.Unary(f, v, 0, 0)).ToArray(), y, Tolerances.Elementwise, Tolerances.TranscendentalAbsolute);
        }
    }
}
