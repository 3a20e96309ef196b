using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>clip(x) = min(max(x, lo), hi)</c> with lo = alpha, hi = beta (MobileNetV2's ReLU6 is Clip(0, 6)).</summary>
/// <remarks>The vector forms take <see cref="IeeeMinMax"/>'s 5-instruction maximum and minimum, the same results as
/// MathF's: BCL's Vector256.Max/Min take 9 each against operands the JIT cannot see are non-zero numbers.</remarks>
internal readonly struct ClipOperator(float lo, float hi) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Min(MathF.Max(x, lo), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => IeeeMinMax.Minimum(IeeeMinMax.Maximum(x, Vector128.Create(lo)), Vector128.Create(hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => IeeeMinMax.Minimum(IeeeMinMax.Maximum(x, Vector256.Create(lo)), Vector256.Create(hi));
}
