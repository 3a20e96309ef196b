using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>sigmoid(x) = 1 / (1 + e^−x)</c>; e^−x overflowing to ∞ gives the right limit 0.</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));

    public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + Vector128.Exp(-x));

    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
}

/// <summary>
/// <c>tanh(x) = sign(x)·(1 − e)/(1 + e)</c> with <c>e = e^−2|x|</c>, which cannot overflow. Below |x| = 0.25
/// the subtraction would lose relative precision, so there the Taylor series to x⁹ is used (truncation
/// error &lt; 0.25¹¹·0.0089 ≈ 4e-9).
/// </summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    private const float C3 = -1f / 3, C5 = 2f / 15, C7 = -17f / 315, C9 = 62f / 2835;

    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Tanh(x);

    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x);
        Vector128<float> e = Vector128.Exp(ax * -2f);
        Vector128<float> big = Vector128.CopySign((Vector128<float>.One - e) / (Vector128<float>.One + e), x);
        Vector128<float> x2 = x * x;
        Vector128<float> poly = (((((((Vector128.Create(C9) * x2) + Vector128.Create(C7)) * x2) + Vector128.Create(C5)) * x2) + Vector128.Create(C3)) * x2 * x) + x;
        return Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(0.25f)), poly, big);
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> e = Vector256.Exp(ax * -2f);
        Vector256<float> big = Vector256.CopySign((Vector256<float>.One - e) / (Vector256<float>.One + e), x);
        Vector256<float> x2 = x * x;
        Vector256<float> poly = (((((((Vector256.Create(C9) * x2) + Vector256.Create(C7)) * x2) + Vector256.Create(C5)) * x2) + Vector256.Create(C3)) * x2 * x) + x;
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.25f)), poly, big);
    }
}

/// <summary>
/// <c>erf(x) ≈ sign(x)·(1 − (a1·t + a2·t² + a3·t³ + a4·t⁴ + a5·t⁵)·e^−x²)</c>, <c>t = 1/(1 + p·|x|)</c>:
/// Abramowitz &amp; Stegun 7.1.26, absolute error ≤ 1.5e-7 (plus float32 rounding, well under 1e-6).
/// The scalar form uses the same formula so every SIMD level gives the same answers.
/// </summary>
internal readonly struct ErfOperator : IUnaryOperator
{
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    public static bool Vectorizable => true;

    public float Invoke(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + (P * ax));
        float poly = ((((((((A5 * t) + A4) * t) + A3) * t) + A2) * t) + A1) * t;
        return MathF.CopySign(1f - (poly * MathF.Exp(-ax * ax)), x);
    }

    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x);
        Vector128<float> t = Vector128<float>.One / (Vector128<float>.One + (ax * P));
        Vector128<float> poly = ((((((((Vector128.Create(A5) * t) + Vector128.Create(A4)) * t) + Vector128.Create(A3)) * t) + Vector128.Create(A2)) * t) + Vector128.Create(A1)) * t;
        return Vector128.CopySign(Vector128<float>.One - (poly * Vector128.Exp(-(ax * ax))), x);
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + (ax * P));
        Vector256<float> poly = ((((((((Vector256.Create(A5) * t) + Vector256.Create(A4)) * t) + Vector256.Create(A3)) * t) + Vector256.Create(A2)) * t) + Vector256.Create(A1)) * t;
        return Vector256.CopySign(Vector256<float>.One - (poly * Vector256.Exp(-(ax * ax))), x);
    }
}

/// <summary>Exact (erf-based) GELU: <c>gelu(x) = x/2·(1 + erf(x/√2))</c>.</summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    private const float InvSqrt2 = 0.70710678118654752f;

    public static bool Vectorizable => true;

    public float Invoke(float x) => 0.5f * x * (1f + default(ErfOperator).Invoke(x * InvSqrt2));

    public Vector128<float> Invoke(Vector128<float> x) =>
        x * 0.5f * (Vector128<float>.One + default(ErfOperator).Invoke(x * InvSqrt2));

    public Vector256<float> Invoke(Vector256<float> x) =>
        x * 0.5f * (Vector256<float>.One + default(ErfOperator).Invoke(x * InvSqrt2));
}
