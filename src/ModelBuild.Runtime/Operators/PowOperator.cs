using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>a^b</c>; the BCL has no vector pow, so this one always runs scalar.</summary>
internal readonly struct PowOperator : IBinaryOperator
{
    public static bool Vectorizable => false;

    public static float Invoke(float a, float b) => MathF.Pow(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => throw new NotSupportedException();
}
