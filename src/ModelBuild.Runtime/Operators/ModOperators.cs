using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// ONNX Mod with fmod = 1: C's <c>fmod(a, b)</c>, the remainder of a truncated division; it has the sign of the
/// dividend a (C#'s float <c>%</c> is exactly fmod). No vector form: a − trunc(a/b)·b is not exact.
/// </summary>
internal readonly struct FModOperator : IBinaryOperator
{
    public static bool Vectorizable => false;

    public static float Invoke(float a, float b) => a % b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => throw new NotSupportedException();
}

/// <summary>
/// ONNX Mod with fmod = 0 (numpy's <c>mod</c>, Python's <c>%</c>): the remainder of a floored division, with the
/// sign of the divisor b: fmod, then + b when the signs differ and it is not 0.
/// </summary>
internal readonly struct ModOperator : IBinaryOperator
{
    public static bool Vectorizable => false;

    public static float Invoke(float a, float b)
    {
        var r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => throw new NotSupportedException();
}
