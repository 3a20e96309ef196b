using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>min(a, b)</c>, NaN-propagating like <see cref="MathF.Min(float, float)"/>.</summary>
internal readonly struct MinOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => MathF.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => IeeeMinMax.Minimum(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => IeeeMinMax.Minimum(a, b);
}
