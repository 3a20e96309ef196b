namespace ModelBuild.Runtime.Tests;

public sealed class UnaryTests
{
    public static TheoryData<int, UnaryFunction> Cases()
    {
        var data = new TheoryData<int, UnaryFunction>();
        foreach (int level in TestData.Levels)
        {
            foreach (UnaryFunction f in Enum.GetValues<UnaryFunction>())
            {
                data.Add(level, f);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unary_EveryLength0To256_MatchesFloat64(int level, UnaryFunction f)
    {
        (float alpha, float beta) = f switch
        {
            UnaryFunction.LeakyRelu => (0.1f, 0f),
            UnaryFunction.Clip => (-0.5f, 2f),
            UnaryFunction.HardSigmoid => (0.2f, 0.5f),
            UnaryFunction.Elu => (1f, 0f),
            UnaryFunction.Selu => (1.6732632f, 1.050701f),
            UnaryFunction.Celu => (0.7f, 0f),
            UnaryFunction.ThresholdedRelu => (0.8f, 0f),
            UnaryFunction.Shrink => (0.5f, 0.25f),
            _ => (0f, 0f),
        };

        // Each function's domain, a little past its edges where that gives NaN (checked exactly).
        (float lo, float hi) = f switch
        {
            UnaryFunction.Sqrt => (0f, 6f),
            UnaryFunction.Log => (-1f, 6f),
            UnaryFunction.Asin or UnaryFunction.Acos or UnaryFunction.Atanh => (-1.2f, 1.2f),
            UnaryFunction.Acosh => (0.5f, 6f),
            UnaryFunction.Tan => (-1.5f, 1.5f),
            _ => (-6f, 6f),
        };
        foreach (int n in Enumerable.Range(0, 257).Concat([1023]))
        {
            float[] x = TestData.Floats(new Random(n), n, lo, hi);
            var y = new float[n];
            Kernels.Unary((SimdLevel)level, f, x, y, alpha, beta);
            double[] expected = x.Select(v => Reference.Unary(f, v, alpha, beta)).ToArray();
            double absolute = f is UnaryFunction.Erf or UnaryFunction.Gelu ? Tolerances.ErfAbsolute : Tolerances.TranscendentalAbsolute;
            TestData.AssertClose(expected, y, Tolerances.Elementwise, absolute);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unary_InPlace_GivesSameResult(int level, UnaryFunction f)
    {
        float[] x = TestData.Floats(new Random(11), 37, 0.1f, 3);
        var y = new float[37];
        Kernels.Unary((SimdLevel)level, f, x, y, 0.2f, 0.5f);
        Kernels.Unary((SimdLevel)level, f, x, x, 0.2f, 0.5f);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Erf_MaxAbsoluteErrorOnDenseGrid_IsBelow1e6()
    {
        foreach (int level in TestData.Levels)
        {
            float[] x = Enumerable.Range(-80000, 160001).Select(i => i / 10000f).ToArray();
            var y = new float[x.Length];
            Kernels.Unary((SimdLevel)level, UnaryFunction.Erf, x, y, 0, 0);
            double worst = x.Select((v, i) => Math.Abs(y[i] - Reference.Erf(v))).Max();
            Assert.True(worst <= Tolerances.ErfAbsolute, $"level {level}: max |erf error| {worst:E2}");
        }
    }

    [Fact]
    public void Unary_SpecialValues()
    {
        foreach (int level in TestData.Levels)
        {
            float[] x = [float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 100f, -100f, 0f, 0f];
            var y = new float[x.Length];
            Kernels.Unary((SimdLevel)level, UnaryFunction.Sigmoid, x, y, 0, 0);
            Assert.Equal([1f, 0f, 0.5f, 0.5f, 1f, 0f, 0.5f, 0.5f], y);
            Kernels.Unary((SimdLevel)level, UnaryFunction.Tanh, x, y, 0, 0);
            Assert.Equal([1f, -1f, 0f, 0f, 1f, -1f, 0f, 0f], y);
            Kernels.Unary((SimdLevel)level, UnaryFunction.Relu, [float.NaN, -1, 2, -0f], y, 0, 0);
            Assert.True(float.IsNaN(y[0]));
            Assert.Equal([0f, 2f], y[1..3]);
        }
    }

    [Fact]
    public void HardSwish_VectorForms_GiveTheScalarFormsBits_AtItsEdgesAndSpecialValues()
    {
        // The vector forms clamp with maxps, not an IEEE maximum: every result must still be the scalar (MathF) one.
        float[] x =
        [
            float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, -3f, 3f,
            BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(-3f) + 1), BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(-3f) - 1),
            BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(3f) + 1), BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(3f) - 1),
            1e-45f, -1e-45f, float.MaxValue, float.MinValue, -2.9999998f, 1e30f, -1e30f, 0.5f, -0.5f, -6f, 6f, -1e-38f,
        ];
        var expected = new float[x.Length];
        Kernels.Unary(SimdLevel.Scalar, UnaryFunction.HardSwish, x, expected, 0, 0);
        foreach (int level in TestData.Levels)
        {
            var y = new float[x.Length];
            Kernels.Unary((SimdLevel)level, UnaryFunction.HardSwish, x, y, 0, 0);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(float.IsNaN(expected[i]) ? float.IsNaN(y[i]) : BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                    $"level {level}, x = {x[i]:R}: {y[i]:R}, scalar {expected[i]:R}");
            }
        }
    }

    [Fact]
    public void Unary_ShortOutput_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Kernels.Unary(UnaryFunction.Relu, new float[9], new float[8], 0, 0));
        Assert.Contains("9", ex.Message, StringComparison.Ordinal);
    }
}
