using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x);
        Vector128<float> t = Vector128<float>.One / (Vector128<float>.One + (ax * P));
        Vector128<float> poly = ((((((((Vector128.Create(A5) * t) + Vector128.Create(A4)) * t) + Vector128.Create(A3)) * t) + Vector128.Create(A2)) * t) + Vector128.Create(A1)) * t;
        return Simd.CopySign(Vector128<float>.One - (poly * VectorExp.Exp(-(ax * ax))), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + (ax * P));
        Vector256<float> poly = ((((((((Vector256.Create(A5) * t) + Vector256.Create(A4)) * t) + Vector256.Create(A3)) * t) + Vector256.Create(A2)) * t) + Vector256.Create(A1)) * t;
        return Simd.CopySign(Vector256<float>.One - (poly * VectorExp.Exp(-(ax * ax))), x);
    }
}
