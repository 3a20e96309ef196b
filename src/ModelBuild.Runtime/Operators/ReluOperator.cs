using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>relu(x) = x &lt; 0 ? 0 : x</c> (NaN stays NaN, as in ONNX).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < 0 ? 0 : x;

    // Select instead of Max: a compare and an and-not, and NaN lanes compare false so they pass through.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
}
