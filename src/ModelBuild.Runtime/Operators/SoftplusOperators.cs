using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// <c>softplus(x) = ln(1 + e^x)</c>, evaluated as <c>max(x, 0) + ln(1 + e^−|x|)</c>, which equals it but cannot
/// overflow (e^x is ∞ above 88, where the naive form would give ∞ instead of x).
/// </summary>
internal readonly struct SoftplusOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Max(x, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));

    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.Max(x, Vector128<float>.Zero) + Vector128.Log(Vector128<float>.One + Vector128.Exp(-Vector128.Abs(x)));

    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(x, Vector256<float>.Zero) + Vector256.Log(Vector256<float>.One + Vector256.Exp(-Vector256.Abs(x)));
}

/// <summary><c>softsign(x) = x / (1 + |x|)</c> (ONNX Softsign).</summary>
internal readonly struct SoftsignOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x / (1f + MathF.Abs(x));

    public Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Abs(x));

    public Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Abs(x));
}

/// <summary><c>mish(x) = x·tanh(softplus(x))</c> (ONNX Mish).</summary>
internal readonly struct MishOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x * MathF.Tanh(default(SoftplusOperator).Invoke(x));

    public Vector128<float> Invoke(Vector128<float> x) => x * default(TanhOperator).Invoke(default(SoftplusOperator).Invoke(x));

    public Vector256<float> Invoke(Vector256<float> x) => x * default(TanhOperator).Invoke(default(SoftplusOperator).Invoke(x));
}
