using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// <c>f(x)·scale + shift</c> for an element-wise <typeparamref name="TOp"/>: a product then a sum, each rounded (no
/// fused multiply-add), so the result is bit for bit that of the ONNX Mul and Add it replaces.
/// </summary>
internal readonly struct AffineAfterOperator<TOp>(TOp inner, float scale, float shift) : IUnaryOperator
    where TOp : struct, IUnaryOperator
{
    public static bool Vectorizable => TOp.Vectorizable;

    public float Invoke(float x) => (inner.Invoke(x) * scale) + shift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => (inner.Invoke(x) * Vector128.Create(scale)) + Vector128.Create(shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => (inner.Invoke(x) * Vector256.Create(scale)) + Vector256.Create(shift);
}
