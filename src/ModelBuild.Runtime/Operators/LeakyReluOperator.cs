using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>leakyRelu(x) = x &lt; 0 ? alpha·x : x</c>.</summary>
internal readonly struct LeakyReluOperator(float alpha) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < 0 ? alpha * x : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), x * alpha, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * alpha, x);
}
