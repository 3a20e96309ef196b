using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>Exact (erf-based) GELU: <c>gelu(x) = x/2·(1 + erf(x/√2))</c>.</summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    private const float InvSqrt2 = 0.70710678118654752f;

    public static bool Vectorizable => true;

    public float Invoke(float x) => 0.5f * x * (1f + default(ErfOperator).Invoke(x * InvSqrt2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        x * 0.5f * (Vector128<float>.One + default(ErfOperator).Invoke(x * InvSqrt2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        x * 0.5f * (Vector256<float>.One + default(ErfOperator).Invoke(x * InvSqrt2));
}
