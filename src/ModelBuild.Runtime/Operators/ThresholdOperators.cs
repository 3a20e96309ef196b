using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>thresholdedRelu(x) = x &gt; alpha ? x : 0</c> (ONNX ThresholdedRelu).</summary>
internal readonly struct ThresholdedReluOperator(float alpha) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x > alpha ? x : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.GreaterThan(x, Vector128.Create(alpha)) & x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.GreaterThan(x, Vector256.Create(alpha)) & x;
}

/// <summary>
/// <c>shrink(x) = x &lt; −lambd ? x + bias : x &gt; lambd ? x − bias : 0</c> (ONNX Shrink; lambd = alpha, bias = beta).
/// </summary>
internal readonly struct ShrinkOperator(float lambd, float bias) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < -lambd ? x + bias : x > lambd ? x - bias : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(-lambd)), x + Vector128.Create(bias),
            Vector128.GreaterThan(x, Vector128.Create(lambd)) & (x - Vector128.Create(bias)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-lambd)), x + Vector256.Create(bias),
            Vector256.GreaterThan(x, Vector256.Create(lambd)) & (x - Vector256.Create(bias)));
}
