using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>elu(x) = x ≥ 0 ? x : alpha·(e^x − 1)</c> (ONNX Elu).</summary>
internal readonly struct EluOperator(float alpha) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x >= 0 ? x : alpha * (MathF.Exp(x) - 1f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), (VectorExp.Exp(x) - Vector128<float>.One) * alpha, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), (VectorExp.Exp(x) - Vector256<float>.One) * alpha, x);
}

/// <summary><c>selu(x) = gamma·(x &gt; 0 ? x : alpha·(e^x − 1))</c> (ONNX Selu; alpha and gamma from the node).</summary>
internal readonly struct SeluOperator(float alpha, float gamma) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => gamma * (x > 0 ? x : alpha * (MathF.Exp(x) - 1f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => new EluOperator(alpha).Invoke(x) * gamma;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => new EluOperator(alpha).Invoke(x) * gamma;
}

/// <summary><c>celu(x) = max(0, x) + min(0, alpha·(e^(x/alpha) − 1))</c> (ONNX Celu).</summary>
internal readonly struct CeluOperator(float alpha) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Max(0f, x) + MathF.Min(0f, alpha * (MathF.Exp(x / alpha) - 1f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.Max(Vector128<float>.Zero, x) + Vector128.Min(Vector128<float>.Zero, (VectorExp.Exp(x / alpha) - Vector128<float>.One) * alpha);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(Vector256<float>.Zero, x) + Vector256.Min(Vector256<float>.Zero, (VectorExp.Exp(x / alpha) - Vector256<float>.One) * alpha);
}
