using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>max(a, b)</c>, NaN-propagating like <see cref="MathF.Max(float, float)"/>.</summary>
internal readonly struct MaxOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => MathF.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => IeeeMinMax.Maximum(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => IeeeMinMax.Maximum(a, b);
}
