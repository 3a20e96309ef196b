using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="VectorLog"/> against float64 <see cref="Math.Log(double)"/> rounded to float32: within 2 ulp over normal
/// and subnormal inputs, exactly −∞, +∞ and NaN where ln x is.
/// </summary>
public sealed class VectorLogTests
{
    private static readonly float[] Specials =
    [
        1f, 2f, 0.5f, 0.70710677f, 0.7071068f, 1.4142135f, 1.4142137f, 1.0000001f, 0.99999994f, float.Epsilon, 1e-40f, 1.1754942e-38f,
        1.17549435e-38f, float.MaxValue, 0f, -0f, -1f, -1e-30f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 2.7182817f,
    ];

    [Fact]
    public void Log_is_within_two_ulp_of_float64_over_the_whole_range()
    {
        var rng = new Random(9);
        float[] xs =
        [
            .. Specials,
            .. Enumerable.Range(0, 100_000).Select(i => MathF.Pow(2f, -149f + (i * (277f / 100_000)))),
            .. Enumerable.Range(0, 100_000).Select(i => 0.5f + (i * (1.5f / 100_000))),
            .. Enumerable.Range(0, 20_000).Select(_ => rng.NextSingle() * 100f),
        ];
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            Vector256<float> wide = VectorLog.Log(Vector256.Create(xs.AsSpan(i, 8)));
            Vector128<float> narrow0 = VectorLog.Log(Vector128.Create(xs.AsSpan(i, 4))), narrow1 = VectorLog.Log(Vector128.Create(xs.AsSpan(i + 4, 4)));
            for (int l = 0; l < 8; l++)
            {
                AssertClose(xs[i + l], wide[l]);
                AssertClose(xs[i + l], l < 4 ? narrow0[l] : narrow1[l - 4]);
            }
        }
    }

    private static void AssertClose(float x, float actual)
    {
        float expected = (float)Math.Log(x);
        if (float.IsNaN(expected) || float.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"log({x:R}): expected {expected:R}, got {actual:R}");
            return;
        }

        double ulp = MathF.BitIncrement(MathF.Abs(expected)) - (double)MathF.Abs(expected);
        Assert.True(Math.Abs((double)actual - expected) <= 2 * ulp, $"log({x:R}): expected {expected:R}, got {actual:R} ({Math.Abs((double)actual - expected) / ulp:F1} ulp)");
    }
}
