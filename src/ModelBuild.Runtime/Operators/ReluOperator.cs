using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>relu(x) = x &lt; 0 ? 0 : x</c> (NaN stays NaN, as in ONNX).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < 0 ? 0 : x;

    // One maxps (Simd.Relu): NaN and −0 pass through, as in the scalar form.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Simd.Relu(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Simd.Relu(x);
}
