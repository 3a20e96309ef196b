using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>x</c> (the pre-map of reductions that fold the values themselves).</summary>
internal readonly struct IdentityOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x;
}
