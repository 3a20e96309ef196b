using System.Runtime.CompilerServices;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.Max(x, Vector128<float>.Zero) + VectorLog.Log(Vector128<float>.One + VectorExp.Exp(-Vector128.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(x, Vector256<float>.Zero) + VectorLog.Log(Vector256<float>.One + VectorExp.Exp(-Vector256.Abs(x)));
}

/// <summary><c>softsign(x) = x / (1 + |x|)</c> (ONNX Softsign).</summary>
internal readonly struct SoftsignOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x / (1f + MathF.Abs(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Abs(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Abs(x));
}

/// <summary><c>mish(x) = x·tanh(softplus(x))</c> (ONNX Mish).</summary>
internal readonly struct MishOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x * MathF.Tanh(default(SoftplusOperator).Invoke(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => x * default(TanhOperator).Invoke(default(SoftplusOperator).Invoke(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x * default(TanhOperator).Invoke(default(SoftplusOperator).Invoke(x));
}
