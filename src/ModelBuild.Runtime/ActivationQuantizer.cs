using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Float activations to uint8 codes, per tensor, exactly as ONNX's <c>DynamicQuantizeLinear</c> and
/// <c>QuantizeLinear</c> (uint8 output) define it and ONNX Runtime's MLAS computes it:
/// <c>q = saturate(roundToEven(x / scale) + zeroPoint)</c>, the division being a true division (MLAS divides; a
/// multiplication by 1/scale would round some inputs the other way and disagree with the compressed .onnx).
/// </summary>
internal static class ActivationQuantizer
{
    /// <summary>
    /// DynamicQuantizeLinear's parameters for <paramref name="x"/> (ONNX spec, uint8): the range widened to include 0,
    /// <c>scale = (max − min) / 255</c> (1 when the range is empty, as ONNX Runtime does, so an all-zero input gives
    /// codes equal to the zero point), <c>zeroPoint = saturate(roundToEven(0 − min / scale))</c>.
    /// </summary>
    public static (float Scale, int ZeroPoint) DynamicParameters(ReadOnlySpan<float> x)
    {
        (float min, float max) = MinMax(x);
        min = MathF.Min(min, 0);
        max = MathF.Max(max, 0);
        float scale = max == min ? 1f : (max - min) / 255f;
        float zero = Math.Clamp(0 - (min / scale), 0f, 255f);
        return (scale, (int)MathF.Round(zero, MidpointRounding.ToEven));
    }

    /// <summary>The smallest and largest element (0, 0 for an empty span).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        return MinMaxBody(x);
    }

    // MinMax's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Min, float Max) MinMaxBody(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return (0, 0);
        }

        ref float p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        int i = 0;
        float min = x[0], max = x[0];
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            Vector256<float> lo = Vector256.LoadUnsafe(ref p), hi = lo;
            for (; i <= x.Length - 8; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref p, (nuint)i);
                lo = IeeeMinMax.Minimum(lo, v);
                hi = IeeeMinMax.Maximum(hi, v);
            }

            for (int l = 0; l < 8; l++)
            {
                min = MathF.Min(min, lo[l]);
                max = MathF.Max(max, hi[l]);
            }
        }

        for (; i < x.Length; i++)
        {
            min = MathF.Min(min, x[i]);
            max = MathF.Max(max, x[i]);
        }

        return (min, max);
    }

    /// <summary>
    /// <c>q[i] = saturate(roundToEven(x[i] / scale) + zeroPoint)</c> into <paramref name="q"/> (length ≥ x's). As MLAS,
    /// the quotient is clamped to <c>[−zeroPoint, 255 − zeroPoint]</c> before rounding, so huge values and ±∞ saturate.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Quantize(SimdLevel level, ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
    {
        QuantizeBody(level, x, scale, zeroPoint, q);
    }

    // Quantize's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuantizeBody(SimdLevel level, ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
    {
        if (q.Length < x.Length)
        {
            throw new ArgumentException("q must be at least as long as x.", nameof(q));
        }

        float lo = -zeroPoint, hi = 255 - zeroPoint;
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            ref float p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref byte d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q);
            Vector256<float> s = Vector256.Create(scale), vlo = Vector256.Create(lo), vhi = Vector256.Create(hi);
            Vector256<int> zp = Vector256.Create(zeroPoint);
            for (; i <= x.Length - 32; i += 32)
            {
                Vector256<int> a = Code(Vector256.LoadUnsafe(ref p, (nuint)i), s, vlo, vhi, zp);
                Vector256<int> b = Code(Vector256.LoadUnsafe(ref p, (nuint)i + 8), s, vlo, vhi, zp);
                Vector256<int> c = Code(Vector256.LoadUnsafe(ref p, (nuint)i + 16), s, vlo, vhi, zp);
                Vector256<int> e = Code(Vector256.LoadUnsafe(ref p, (nuint)i + 24), s, vlo, vhi, zp);

                // Every code is already in [0, 255], so the truncating narrows lose nothing.
                Vector256<ushort> ab = Vector256.Narrow(a.AsUInt32(), b.AsUInt32());
                Vector256<ushort> ce = Vector256.Narrow(c.AsUInt32(), e.AsUInt32());
                Vector256.Narrow(ab, ce).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            q[i] = (byte)((int)MathF.Round(Math.Clamp(x[i] / scale, lo, hi), MidpointRounding.ToEven) + zeroPoint);
        }
    }

    /// <summary>One code, as <see cref="Quantize"/>'s scalar loop computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Code(float x, float scale, int zeroPoint) =>
        (int)MathF.Round(Math.Clamp(x / scale, -zeroPoint, 255 - zeroPoint), MidpointRounding.ToEven) + zeroPoint;

    /// <summary>8 codes as int32 lanes, as <see cref="Quantize"/>'s vector loop computes them (lo = −zp, hi = 255 − zp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Code(Vector256<float> x, Vector256<float> scale, Vector256<float> lo, Vector256<float> hi, Vector256<int> zeroPoint)
    {
        // Clamped before rounding, as MLAS, so the int conversion never overflows. A NaN input gives the zero point
        // here and in the scalar loop (MLAS gives 0); NaN activations are meaningless either way.
        Vector256<float> v = Vector256.Min(Vector256.Max(x / scale, lo), hi);
        return Vector256.ConvertToInt32(Vector256.Round(v)) + zeroPoint;
    }
}
