using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Turns unpacked codes and 16-bit values into floats: linear dequantisation, fp16/bf16 widening and codebook
/// lookup. Every vector path gives exactly the bits of its <c>...Scalar</c> reference.
/// </summary>
internal static class Expand
{
    private const uint HalfExponentMask = 0x7C00;

    // 2^112: moves a half exponent (bias 15) to a float exponent (bias 127).
    private static readonly float Two112 = BitConverter.Int32BitsToSingle(0x77800000);

    /// <summary>dest[i] = (codes[i] − offset)·scale; offset is the code bias plus the zero point, a small integer.</summary>
    public static void Dequantize(ReadOnlySpan<byte> codes, float offset, float scale, Span<float> dest, SimdLevel level)
    {
        ref byte src = ref MemoryMarshal.GetReference(codes);
        ref float dst = ref MemoryMarshal.GetReference(dest);
        int i = 0, n = codes.Length;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> o = Vector256.Create(offset), s = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8)
            {
                Vector128<ushort> h = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte());
                Vector256<int> v = Vector256.Create(Vector128.WidenLower(h), Vector128.WidenUpper(h)).AsInt32();

                // code − offset is an exact small integer, so the one rounding is the multiply, as in the reference.
                ((Vector256.ConvertToSingle(v) - o) * s).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> o = Vector128.Create(offset), s = Vector128.Create(scale);
            for (; i + 4 <= n; i += 4)
            {
                Vector128<int> v = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte())).AsInt32();
                ((Vector128.ConvertToSingle(v) - o) * s).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        DequantizeScalar(codes[i..], offset, scale, dest[i..]);
    }

    /// <summary>The reference of <see cref="Dequantize"/>.</summary>
    public static void DequantizeScalar(ReadOnlySpan<byte> codes, float offset, float scale, Span<float> dest)
    {
        for (int i = 0; i < codes.Length; i++)
        {
            dest[i] = (codes[i] - offset) * scale;
        }
    }

    /// <summary>IEEE binary16 bit patterns to float32, exactly as <c>(float)Half</c>.</summary>
    public static void HalfToSingle(ReadOnlySpan<ushort> halves, Span<float> dest, SimdLevel level)
    {
        ref ushort src = ref MemoryMarshal.GetReference(halves);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(dest));
        int i = 0, n = halves.Length;
        if (level == SimdLevel.Vector256)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector128<ushort> h = Vector128.LoadUnsafe(ref src, (nuint)i);
                Vector256<uint> u = Vector256.Create(Vector128.WidenLower(h), Vector128.WidenUpper(h));
                Vector256<uint> em = u & Vector256.Create(0x7FFFu);
                Vector256<uint> shifted = em << 13;

                // Scaling by 2^112 re-biases the exponent and normalises subnormals exactly; inf/NaN keep their bits
                // (NaNs made quiet, as the BCL conversion does).
                Vector256<uint> finite = (shifted.AsSingle() * Vector256.Create(Two112)).AsUInt32();
                Vector256<uint> quiet = Vector256.GreaterThan(em, Vector256.Create(HalfExponentMask)) & Vector256.Create(0x00400000u);
                Vector256<uint> special = shifted | quiet | Vector256.Create(0x7F800000u);
                Vector256<uint> r = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(em, Vector256.Create(HalfExponentMask)), special, finite);
                (r | ((u & Vector256.Create(0x8000u)) << 16)).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            for (; i + 4 <= n; i += 4)
            {
                Vector128<uint> u = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref src, i)))).AsUInt16());
                Vector128<uint> em = u & Vector128.Create(0x7FFFu);
                Vector128<uint> shifted = em << 13;
                Vector128<uint> finite = (shifted.AsSingle() * Vector128.Create(Two112)).AsUInt32();
                Vector128<uint> quiet = Vector128.GreaterThan(em, Vector128.Create(HalfExponentMask)) & Vector128.Create(0x00400000u);
                Vector128<uint> special = shifted | quiet | Vector128.Create(0x7F800000u);
                Vector128<uint> r = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(em, Vector128.Create(HalfExponentMask)), special, finite);
                (r | ((u & Vector128.Create(0x8000u)) << 16)).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        HalfToSingleScalar(halves[i..], dest[i..]);
    }

    /// <summary>The reference of <see cref="HalfToSingle"/>: the BCL conversion.</summary>
    public static void HalfToSingleScalar(ReadOnlySpan<ushort> halves, Span<float> dest)
    {
        for (int i = 0; i < halves.Length; i++)
        {
            dest[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
        }
    }

    /// <summary>bfloat16 bit patterns to float32 (the pattern is the float's top half; exact).</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> values, Span<float> dest)
    {
        for (int i = 0; i < values.Length; i++)
        {
            dest[i] = BitConverter.Int32BitsToSingle(values[i] << 16);
        }
    }

    /// <summary>dest[i] = table[indices[i]]; every index must be inside <paramref name="table"/> (checked by the caller).</summary>
    public static unsafe void Lookup(ReadOnlySpan<byte> indices, ReadOnlySpan<float> table, Span<float> dest, SimdLevel level)
    {
        int i = 0, n = indices.Length;
        if (level != SimdLevel.Scalar && Avx2.IsSupported)
        {
            fixed (byte* src = indices)
            fixed (float* t = table)
            fixed (float* dst = dest)
            {
                if (level == SimdLevel.Vector256)
                {
                    for (; i + 8 <= n; i += 8)
                    {
                        Avx.Store(dst + i, Avx2.GatherVector256(t, Avx2.ConvertToVector256Int32(src + i), 4));
                    }
                }

                for (; i + 4 <= n; i += 4)
                {
                    Sse.Store(dst + i, Avx2.GatherVector128(t, Sse41.ConvertToVector128Int32(src + i), 4));
                }
            }
        }

        LookupScalar(indices[i..], table, dest[i..]);
    }

    /// <summary>The reference of <see cref="Lookup"/>.</summary>
    public static void LookupScalar(ReadOnlySpan<byte> indices, ReadOnlySpan<float> table, Span<float> dest)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            dest[i] = table[indices[i]];
        }
    }
}
