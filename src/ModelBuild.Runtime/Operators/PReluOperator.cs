using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>prelu(x, slope) = x &lt; 0 ? slope·x : x</c> (ONNX PRelu; the slope is the right operand).</summary>
internal readonly struct PReluOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => a < 0 ? a * b : a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128<float>.Zero), a * b, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.Zero), a * b, a);
}
