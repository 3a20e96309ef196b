using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>ln(x)</c>: NaN below 0, −∞ at 0 (ONNX Log); the BCL's vector log (≤ 1 ulp).</summary>
internal readonly struct LogOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => VectorLog.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => VectorLog.Log(x);
}
