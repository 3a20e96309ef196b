using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="IeeeMinMax"/> (behind Clip, the Max and Min operators, MaxPool and the reductions) against MathF.Max/Min
/// on every pair of special values, bit for bit (any NaN for a NaN), at both widths; and Clip's vector forms against its
/// scalar form at ReLU6's bounds and others; the vector ReLU every fused epilogue uses (<see cref="Simd.Relu(Vector256{float})"/>)
/// against the scalar definition.
/// </summary>
public sealed class IeeeMinMaxTests
{
    private static readonly float[] Specials =
    [
        float.NaN, -float.NaN, 0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, 6f, -6f,
        float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 1e-38f, 0.5f,
    ];

    [Fact]
    public void MaximumAndMinimum_AreMathFsMaxAndMin_OnEveryPairOfSpecialValues()
    {
        foreach (float a in Specials)
        {
            foreach (float b in Specials)
            {
                AssertSame(MathF.Max(a, b), IeeeMinMax.Maximum(Vector256.Create(a), Vector256.Create(b)).GetElement(5), a, b, "max 256");
                AssertSame(MathF.Max(a, b), IeeeMinMax.Maximum(Vector128.Create(a), Vector128.Create(b)).GetElement(2), a, b, "max 128");
                AssertSame(MathF.Min(a, b), IeeeMinMax.Minimum(Vector256.Create(a), Vector256.Create(b)).GetElement(5), a, b, "min 256");
                AssertSame(MathF.Min(a, b), IeeeMinMax.Minimum(Vector128.Create(a), Vector128.Create(b)).GetElement(2), a, b, "min 128");
            }
        }
    }

    [Theory]
    [InlineData(0f, 6f)]
    [InlineData(-0f, 6f)]
    [InlineData(-0.5f, 2f)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(-1f, -0f)]
    public void Clip_VectorForms_GiveTheScalarFormsBits(float lo, float hi)
    {
        float[] x = [.. Specials, .. Specials.Select(v => -v / 3), 5.999f, 6.001f, -0.499f, 2.5f, 3f, 0.25f, -7f, 1e-30f];
        var expected = new float[x.Length];
        Kernels.Unary(SimdLevel.Scalar, UnaryFunction.Clip, x, expected, lo, hi);
        foreach (int level in TestData.Levels)
        {
            var y = new float[x.Length];
            Kernels.Unary((SimdLevel)level, UnaryFunction.Clip, x, y, lo, hi);
            for (int i = 0; i < x.Length; i++)
            {
                AssertSame(expected[i], y[i], x[i], lo, $"Clip level {level}");
            }
        }
    }

    [Fact]
    public void Relu_VectorForms_GiveTheScalarFormsBits()
    {
        foreach (float v in Specials)
        {
            float expected = v < 0 ? 0 : v; // ONNX Relu; −0 and NaN pass through (ReluOperator's scalar form)
            AssertSame(expected, Simd.Relu(v), v, 0, "Relu scalar");
            AssertSame(expected, Simd.Relu(Vector128.Create(v)).GetElement(1), v, 0, "Relu 128");
            AssertSame(expected, Simd.Relu(Vector256.Create(v)).GetElement(6), v, 0, "Relu 256");
            AssertSame(expected, Simd.Relu(Vector512.Create(v)).GetElement(11), v, 0, "Relu 512");
            AssertSame(expected, Vector256Width.Relu(Vector256.Create(v)).GetElement(3), v, 0, "Vector256Width.Relu");
            foreach (float b in Specials)
            {
                AssertSame(MathF.Max(v, b), Vector256Width.Max(Vector256.Create(v), Vector256.Create(b)).GetElement(0), v, b, "Vector256Width.Max");
                AssertSame(MathF.Max(v, b), Vector128Width.Max(Vector128.Create(v), Vector128.Create(b)).GetElement(3), v, b, "Vector128Width.Max");
            }
        }
    }

    private static void AssertSame(float expected, float actual, float a, float b, string what) =>
        Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
            $"{what}({a:R}, {b:R}): {actual:R}, MathF {expected:R}");
}
