using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// GELU with approximate = "tanh" (ONNX Gelu-20): <c>x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>.
/// </summary>
internal readonly struct GeluTanhOperator : IUnaryOperator
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float Cubic = 0.044715f;

    public static bool Vectorizable => true;

    public float Invoke(float x) => 0.5f * x * (1f + MathF.Tanh(SqrtTwoOverPi * (x + (Cubic * x * x * x))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        x * 0.5f * (Vector128<float>.One + default(TanhOperator).Invoke((x + (x * x * x * Cubic)) * SqrtTwoOverPi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        x * 0.5f * (Vector256<float>.One + default(TanhOperator).Invoke((x + (x * x * x * Cubic)) * SqrtTwoOverPi));
}
