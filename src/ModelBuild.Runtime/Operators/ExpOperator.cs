using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>exp(x) = e^x</c>.</summary>
internal readonly struct ExpOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Exp(x);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Exp(x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Exp(x);
}
