using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Natural logarithm per lane, in this assembly for the reason <see cref="VectorExp"/> is: the BCL's <c>Vector256.Log</c>
/// keeps its callers (Log, Softplus, Mish, LogSoftmax) out of the ReadyToRun image, so they ran as tier-0 JIT code in a
/// process's first predictions.
/// </summary>
/// <remarks>
/// Method (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989, the single-precision log of the Cephes
/// library): x = m·2^e with m in [√½, √2), f = m − 1, log(1 + f) = f − f²/2 + f³·P(f) with Cephes' degree-8 minimax P,
/// plus e·ln 2 in two parts. Subnormal x are scaled by 2^23 first; x &lt; 0 and NaN give NaN, ±0 gives −∞, +∞ gives +∞.
/// Measured against float64: at most 2 ulp (VectorLogTests).
/// </remarks>
internal static class VectorLog
{
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float SqrtHalf = 0.707106781186547524f;
    private const float SmallestNormal = 1.17549435e-38f;

    // Cephes' coefficients of P (highest power first).
    private const float P8 = 7.0376836292E-2f, P7 = -1.1514610310E-1f, P6 = 1.1676998740E-1f, P5 = -1.2420140846E-1f, P4 = 1.4249322787E-1f;
    private const float P3 = -1.6668057665E-1f, P2 = 2.0000714765E-1f, P1 = -2.4999993993E-1f, P0 = 3.3333331174E-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        // x = m·2^e with m in [0.5, 1) from the exponent field; subnormals scaled into the normal range first.
        Vector256<float> tiny = Vector256.LessThan(x, Vector256.Create(SmallestNormal));
        Vector256<int> bits = Vector256.ConditionalSelect(tiny, x * 8388608f, x).AsInt32();
        Vector256<int> ei = Vector256.ShiftRightLogical(bits, 23) - Vector256.Create(126) - (tiny.AsInt32() & Vector256.Create(23));
        Vector256<float> m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle();

        // Below √½: f = 2m − 1 and one off e; else f = m − 1.
        Vector256<float> low = Vector256.LessThan(m, Vector256.Create(SqrtHalf));
        Vector256<float> f = m + (m & low) - Vector256<float>.One;
        Vector256<float> e = Vector256.ConvertToSingle(ei) - (Vector256<float>.One & low);

        Vector256<float> z = f * f;
        Vector256<float> p = Simd.MulAdd(Vector256.Create(P8), f, Vector256.Create(P7));
        p = Simd.MulAdd(p, f, Vector256.Create(P6));
        p = Simd.MulAdd(p, f, Vector256.Create(P5));
        p = Simd.MulAdd(p, f, Vector256.Create(P4));
        p = Simd.MulAdd(p, f, Vector256.Create(P3));
        p = Simd.MulAdd(p, f, Vector256.Create(P2));
        p = Simd.MulAdd(p, f, Vector256.Create(P1));
        p = Simd.MulAdd(p, f, Vector256.Create(P0));
        Vector256<float> y = p * f * z;
        y = Simd.MulAdd(e, Vector256.Create(Ln2Lo), y);
        y = Simd.MulAdd(z, Vector256.Create(-0.5f), y);
        Vector256<float> r = Simd.MulAdd(e, Vector256.Create(Ln2Hi), f + y);

        r = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.PositiveInfinity)), x, r);
        r = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), r);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero) | ~Vector256.Equals(x, x), Vector256.Create(float.NaN), r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Log(Vector128<float> x)
    {
        // x = m·2^e with m in [0.5, 1) from the exponent field; subnormals scaled into the normal range first.
        Vector128<float> tiny = Vector128.LessThan(x, Vector128.Create(SmallestNormal));
        Vector128<int> bits = Vector128.ConditionalSelect(tiny, x * 8388608f, x).AsInt32();
        Vector128<int> ei = Vector128.ShiftRightLogical(bits, 23) - Vector128.Create(126) - (tiny.AsInt32() & Vector128.Create(23));
        Vector128<float> m = ((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F000000)).AsSingle();

        // Below √½: f = 2m − 1 and one off e; else f = m − 1.
        Vector128<float> low = Vector128.LessThan(m, Vector128.Create(SqrtHalf));
        Vector128<float> f = m + (m & low) - Vector128<float>.One;
        Vector128<float> e = Vector128.ConvertToSingle(ei) - (Vector128<float>.One & low);

        Vector128<float> z = f * f;
        Vector128<float> p = Simd.MulAdd(Vector128.Create(P8), f, Vector128.Create(P7));
        p = Simd.MulAdd(p, f, Vector128.Create(P6));
        p = Simd.MulAdd(p, f, Vector128.Create(P5));
        p = Simd.MulAdd(p, f, Vector128.Create(P4));
        p = Simd.MulAdd(p, f, Vector128.Create(P3));
        p = Simd.MulAdd(p, f, Vector128.Create(P2));
        p = Simd.MulAdd(p, f, Vector128.Create(P1));
        p = Simd.MulAdd(p, f, Vector128.Create(P0));
        Vector128<float> y = p * f * z;
        y = Simd.MulAdd(e, Vector128.Create(Ln2Lo), y);
        y = Simd.MulAdd(z, Vector128.Create(-0.5f), y);
        Vector128<float> r = Simd.MulAdd(e, Vector128.Create(Ln2Hi), f + y);

        r = Vector128.ConditionalSelect(Vector128.Equals(x, Vector128.Create(float.PositiveInfinity)), x, r);
        r = Vector128.ConditionalSelect(Vector128.Equals(x, Vector128<float>.Zero), Vector128.Create(float.NegativeInfinity), r);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero) | ~Vector128.Equals(x, x), Vector128.Create(float.NaN), r);
    }
}
