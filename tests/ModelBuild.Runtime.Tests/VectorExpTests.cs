using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="VectorExp"/> against float64 <see cref="Math.Exp(double)"/> rounded to float32: within 2 ulp for normal
/// results, 2 units of the smallest subnormal below the normal range, and exactly 0, ∞ and NaN where e^x is.
/// </summary>
public sealed class VectorExpTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, 1e-30f, -1e-30f, float.Epsilon, 0.34657359f, -0.34657359f, 88.0f, 88.72f, 88.7228317f, 88.7228394f,
        88.73f, 89f, 100f, -87.33f, -87.34f, -100f, -103.2789f, -103.97f, -103.98f, -104f, -200f, float.MaxValue, float.MinValue,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN,
    ];

    [Fact]
    public void Exp_is_within_two_ulp_of_float64_over_the_whole_range()
    {
        var rng = new Random(5);
        float[] xs = [.. Specials, .. Enumerable.Range(0, 200_000).Select(i => -105f + (i * (200f / 200_000))), .. Enumerable.Range(0, 20_000).Select(_ => (rng.NextSingle() - 0.5f) * 4f)];
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            Vector256<float> wide = VectorExp.Exp(Vector256.Create(xs.AsSpan(i, 8)));
            Vector128<float> narrow0 = VectorExp.Exp(Vector128.Create(xs.AsSpan(i, 4))), narrow1 = VectorExp.Exp(Vector128.Create(xs.AsSpan(i + 4, 4)));
            for (int l = 0; l < 8; l++)
            {
                float x = xs[i + l];
                AssertClose(x, wide[l]);
                AssertClose(x, l < 4 ? narrow0[l] : narrow1[l - 4]);
            }
        }
    }

    private static void AssertClose(float x, float actual)
    {
        float expected = (float)Math.Exp(x);
        if (float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0)
        {
            Assert.True(expected.Equals(actual) || (expected == 0 && actual <= 2 * float.Epsilon), $"exp({x:R}): expected {expected:R}, got {actual:R}");
            return;
        }

        double tolerance = expected < 1.1754944e-38f ? 2 * float.Epsilon : 2 * Ulp(expected);
        Assert.True(Math.Abs((double)actual - expected) <= tolerance, $"exp({x:R}): expected {expected:R}, got {actual:R} ({Math.Abs((double)actual - expected) / Ulp(expected):F1} ulp)");
    }

    private static double Ulp(float v) => MathF.BitIncrement(v) - (double)v;
}
