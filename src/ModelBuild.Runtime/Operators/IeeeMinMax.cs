using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// IEEE 754-2019 maximum and minimum per lane (a NaN operand gives NaN, −0 &lt; +0), the results of
/// <see cref="MathF.Max(float, float)"/> and <see cref="MathF.Min(float, float)"/> (any NaN for a NaN), in 5 instructions
/// where <see cref="Vector256.Max{T}(Vector256{T}, Vector256{T})"/> takes 9 on AVX2 when neither operand is a constant
/// the JIT knows to be a non-zero number (against a variable or 0; against such a constant it emits one maxps).
/// maxps/minps return their second operand for a NaN and for two zeros, so both operand orders agree except there: for
/// zeros, AND (max: +0 unless both are −0) or OR (min: −0 if either is) of the two gives the IEEE sign, and OR-ing the
/// unordered mask turns any NaN pair into a NaN (all bits set).
/// </summary>
internal static class IeeeMinMax
{
    /// <summary>IEEE maximum of each lane pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Maximum(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Avx.Or(Avx.And(Avx.Max(a, b), Avx.Max(b, a)), Avx.CompareUnordered(a, b)) : Vector256.Max(a, b);

    /// <summary>The 128-bit form of <see cref="Maximum(Vector256{float}, Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Maximum(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Or(Sse.And(Sse.Max(a, b), Sse.Max(b, a)), Sse.CompareUnordered(a, b)) : Vector128.Max(a, b);

    /// <summary>IEEE minimum of each lane pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Minimum(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Avx.Or(Avx.Or(Avx.Min(a, b), Avx.Min(b, a)), Avx.CompareUnordered(a, b)) : Vector256.Min(a, b);

    /// <summary>The 128-bit form of <see cref="Minimum(Vector256{float}, Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Minimum(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Or(Sse.Or(Sse.Min(a, b), Sse.Min(b, a)), Sse.CompareUnordered(a, b)) : Vector128.Min(a, b);
}
