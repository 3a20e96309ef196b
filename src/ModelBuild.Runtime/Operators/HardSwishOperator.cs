using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>hardSwish(x) = x·max(0, min(1, x/6 + 1/2))</c> (ONNX HardSwish).</summary>
internal readonly struct HardSwishOperator : IUnaryOperator
{
    private const float Sixth = 1f / 6;

    public static bool Vectorizable => true;

    public float Invoke(float x) => x * MathF.Max(0, MathF.Min(1, (x * Sixth) + 0.5f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        x * Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, (x * Sixth) + Vector128.Create(0.5f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        x * Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, (x * Sixth) + Vector256.Create(0.5f)));
}
