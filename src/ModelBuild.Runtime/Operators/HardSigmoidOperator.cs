using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>hardSigmoid(x) = max(0, min(1, alpha·x + beta))</c> (ONNX defaults 0.2, 0.5).</summary>
internal readonly struct HardSigmoidOperator(float alpha, float beta) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Max(0, MathF.Min(1, (alpha * x) + beta));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, (x * alpha) + Vector128.Create(beta)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, (x * alpha) + Vector256.Create(beta)));
}
