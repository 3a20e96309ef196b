using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>x²</c> (ReduceL2 and ReduceSumSquare square before they sum).</summary>
internal readonly struct SquareOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => x * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x * x;
}
