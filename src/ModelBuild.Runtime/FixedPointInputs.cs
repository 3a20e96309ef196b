using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Float32 inputs rounded to 16-bit fixed point for the integer-product kernels (<see cref="FixedPointGemm"/>): one
/// power-of-two step per block of <see cref="BlockSize"/> inputs, chosen from the block's largest |x|.
/// </summary>
/// <remarks>
/// Within a block whose largest |x| is m, with 2^e ≤ m &lt; 2^(e+1), x is rounded (to nearest even) to a multiple of
/// 2^(e−14) and saturated to int16, so |x − x̂| ≤ 2^−15·m: about float16's precision relative to the block's largest
/// value, and 2^7 finer than the int8 weights it multiplies. Blocks with m &lt; 2^−112 use the step 2^−126 (their error
/// stays below 2^−127; the narrow forms' steps there are 2^−125 and 2^−124). A block's dot product with int8 weights is then an exact integer, |Σ| ≤ 256 · 128 · 32768 = 2^30.
/// Requires AVX2 (<c>vcvtps2dq</c>, <c>vpackssdw</c>).
/// </remarks>
internal static class FixedPointInputs
{
    /// <summary>Inputs per step: 256 keeps a block's integer dot product with any int8 row within int32.</summary>
    public const int BlockSize = 256;

    /// <summary>Smallest block exponent e: the step 2^(e − 14) stays a normal float, and 2^(14 − e) too.</summary>
    internal const int MinExponent = -112;

    /// <summary>
    /// IEEE bits of 2^100: a block whose largest |x| reaches it is refused like a NaN (the caller's float kernel runs).
    /// The kernels scale a block's integer sum (up to 2^(e + 16)) by its step before the weights' scale, so from about
    /// 2^110 that product overflows float32 where the float kernels' Σ (q·scale)·x stays finite; 2^100 leaves room for
    /// 2^10 blocks.
    /// </summary>
    internal const int HugeBits = (127 + 100) << 23;

    /// <summary>Number of blocks (steps) for <paramref name="k"/> inputs.</summary>
    public static int Blocks(int k) => (k + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Rounds x to int16 codes, one power-of-two step per block: <c>x̂[i] = codes[i]·steps[i / BlockSize]</c>.
    /// </summary>
    /// <param name="x">k floats.</param>
    /// <param name="codes">k codes (written).</param>
    /// <param name="steps"><see cref="Blocks"/>(k) steps (written).</param>
    /// <returns>False (codes and steps partly written) when x holds a NaN, an infinity or a value of magnitude ≥ 2^100 (<see cref="HugeBits"/>).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Quantize(ReadOnlySpan<float> x, Span<short> codes, Span<float> steps) => QuantizeBody(x, codes, steps, 14);

    /// <summary>
    /// As <see cref="Quantize(ReadOnlySpan{float}, Span{short}, Span{float})"/> with one bit less: multiples of
    /// 2^(e−13), so |x̂| ≤ 2^14 and |x − x̂| ≤ 2^−14·m. <see cref="DirectDense"/>'s 4-bit kernel splits such codes into
    /// two signed bytes (x̂ = 256·hi + lo, |hi| ≤ 64), which int16 sums of <c>vpmaddubsw</c> products then hold.
    /// </summary>
    /// <param name="x">k floats.</param>
    /// <param name="codes">k codes (written), each within ±2^14.</param>
    /// <param name="steps"><see cref="Blocks"/>(k) steps (written).</param>
    /// <returns>False (codes and steps partly written) when x holds a NaN, an infinity or a value of magnitude ≥ 2^100 (<see cref="HugeBits"/>).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool QuantizeNarrow(ReadOnlySpan<float> x, Span<short> codes, Span<float> steps) => QuantizeBody(x, codes, steps, 13);

    /// <summary>
    /// As <see cref="QuantizeNarrow"/> with one bit less again: multiples of 2^(e−12), |x̂| ≤ 2^13, |x − x̂| ≤ 2^−13·m,
    /// for the palette kernel's split x̂ = 128·hi + lo with both halves within ±64.
    /// </summary>
    /// <param name="x">k floats.</param>
    /// <param name="codes">k codes (written), each within ±2^13.</param>
    /// <param name="steps"><see cref="Blocks"/>(k) steps (written).</param>
    /// <returns>False (codes and steps partly written) when x holds a NaN, an infinity or a value of magnitude ≥ 2^100 (<see cref="HugeBits"/>).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool QuantizeNarrower(ReadOnlySpan<float> x, Span<short> codes, Span<float> steps) => QuantizeBody(x, codes, steps, 12);

    // Quantize's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuantizeBody(ReadOnlySpan<float> x, Span<short> codes, Span<float> steps, [System.Diagnostics.CodeAnalysis.ConstantExpected] int fractionBits)
    {
        for (int b = 0, start = 0; start < x.Length; b++, start += BlockSize)
        {
            ReadOnlySpan<float> block = x.Slice(start, Math.Min(BlockSize, x.Length - start));
            int maxBits = MaxMagnitudeBits(block);
            if (maxBits >= HugeBits)
            {
                return false;
            }

            // maxBits >> 23 is the biased exponent of the largest |x| (0 for zeros and subnormals, which MinExponent covers).
            int e = Math.Max((maxBits >> 23) - 127, MinExponent);
            steps[b] = PowerOfTwo(e - fractionBits);
            Round(block, PowerOfTwo(fractionBits - e), codes.Slice(start, block.Length));
        }

        return true;
    }

    /// <summary>Rounds one block (scalar form: the tail, and the definition the vector loop follows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static short RoundOne(float x, float up) => (short)Math.Clamp(MathF.Round(x * up), short.MinValue, short.MaxValue);

    private static float PowerOfTwo(int e) => BitConverter.Int32BitsToSingle((e + 127) << 23);

    /// <summary>The largest |x| of the block as its IEEE bits (a NaN or an infinity gives ≥ 0x7F800000).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MaxMagnitudeBits(ReadOnlySpan<float> block)
    {
        ref int bits = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(block));
        var magnitude = Vector256.Create(0x7FFF_FFFF);
        Vector256<int> max = Vector256<int>.Zero;
        int i = 0;
        for (; i <= block.Length - Vector256<int>.Count; i += Vector256<int>.Count)
        {
            max = Vector256.Max(max, Vector256.LoadUnsafe(ref bits, (nuint)i) & magnitude);
        }

        Vector128<int> half = Vector128.Max(max.GetLower(), max.GetUpper());
        int result = Math.Max(Math.Max(half[0], half[1]), Math.Max(half[2], half[3]));
        for (; i < block.Length; i++)
        {
            result = Math.Max(result, Unsafe.Add(ref bits, i) & 0x7FFF_FFFF);
        }

        return result;
    }

    /// <summary>codes = saturate(round(x·up)): <c>vcvtps2dq</c> rounds to nearest even (MXCSR's default, as MathF.Round), <c>vpackssdw</c> saturates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ReadOnlySpan<float> block, float up, Span<short> codes)
    {
        ref float x = ref MemoryMarshal.GetReference(block);
        ref short q = ref MemoryMarshal.GetReference(codes);
        var scale = Vector256.Create(up);
        int i = 0;
        for (; i <= block.Length - 16; i += 16)
        {
            Vector256<int> lo = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref x, (nuint)i) * scale);
            Vector256<int> hi = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)) * scale);

            // vpackssdw packs within 128-bit lanes (lo0 hi0 lo1 hi1); vpermq puts the quarters back in order.
            Vector256<short> packed = Avx2.PackSignedSaturate(lo, hi);
            Avx2.Permute4x64(packed.AsInt64(), 0b11_01_10_00).AsInt16().StoreUnsafe(ref q, (nuint)i);
        }

        for (; i < block.Length; i++)
        {
            Unsafe.Add(ref q, i) = RoundOne(Unsafe.Add(ref x, i), up);
        }
    }
}
