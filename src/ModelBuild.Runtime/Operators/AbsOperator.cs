using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>abs(x) = |x|</c>.</summary>
internal readonly struct AbsOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Abs(x);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
}
