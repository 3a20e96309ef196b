using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>hardSwish(x) = x·max(0, min(1, x/6 + 1/2))</c> (ONNX HardSwish).</summary>
/// <remarks>
/// The vector forms take the maximum with 0 as <c>MaxNative</c> (one maxps): <see cref="Vector256.Max{T}(Vector256{T}, Vector256{T})"/>
/// against a zero compiles to 9 instructions on AVX2 (it orders −0 below +0 and lets NaN win), and made this pass 2×
/// slower than a broadcast Mul over the same tensor. Neither case can change a result here: x/6 + 1/2 is never −0
/// (a sum with +1/2 is +0 when it cancels), and a NaN factor comes only from a NaN x, which the product keeps.
/// </remarks>
internal readonly struct HardSwishOperator : IUnaryOperator
{
    private const float Sixth = 1f / 6;

    public static bool Vectorizable => true;

    public float Invoke(float x) => x * MathF.Max(0, MathF.Min(1, (x * Sixth) + 0.5f));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        x * Vector128.MaxNative(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, (x * Sixth) + Vector128.Create(0.5f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        x * Vector256.MaxNative(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, (x * Sixth) + Vector256.Create(0.5f)));
}
