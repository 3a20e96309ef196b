using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime.Formats;

/// <summary>
/// Unpacks the code streams of docs/FORMATS.md into one byte per code. 4- and 2-bit streams (the common
/// quantised widths) have vector paths; every path must equal <see cref="BitsScalar"/>.
/// </summary>
internal static class Unpack
{
    private static readonly byte[] Trits = BuildTritTable();

    /// <summary>Unpacks <c>codes.Length</c> codes of <paramref name="bits"/> bits (LSB-first).</summary>
    public static void Bits(ReadOnlySpan<byte> packed, int bits, Span<byte> codes, SimdLevel level)
    {
        int done = 0;
        if (bits == 8)
        {
            packed[..codes.Length].CopyTo(codes);
            return;
        }

        if (bits == 4 && level != SimdLevel.Scalar)
        {
            done = Nibbles(packed, codes, level);
        }
        else if (bits == 2 && level != SimdLevel.Scalar)
        {
            done = Crumbs(packed, codes, level);
        }

        // The vector loops stop at whole bytes, so the scalar tail starts on a byte boundary.
        BitsScalar(packed[(done * bits / 8)..], bits, codes[done..]);
    }

    /// <summary>The reference: reads the stream bit by bit through a 64-bit window.</summary>
    public static void BitsScalar(ReadOnlySpan<byte> packed, int bits, Span<byte> codes)
    {
        ulong window = 0;
        int have = 0, next = 0;
        uint mask = (1u << bits) - 1;
        for (int i = 0; i < codes.Length; i++)
        {
            if (have < bits)
            {
                window |= (ulong)packed[next++] << have;
                have += 8;
            }

            codes[i] = (byte)(window & mask);
            window >>= bits;
            have -= bits;
        }
    }

    /// <summary>Unpacks base-3 bytes (5 trits each) into trits 0..2; the caller checked every byte is below 243.</summary>
    public static void Ternary(ReadOnlySpan<byte> packed, Span<byte> trits)
    {
        int whole = trits.Length / 5;
        for (int i = 0; i < whole; i++)
        {
            Trits.AsSpan(packed[i] * 5, 5).CopyTo(trits[(i * 5)..]);
        }

        int rest = trits.Length - (whole * 5);
        if (rest > 0)
        {
            Trits.AsSpan(packed[whole] * 5, rest).CopyTo(trits[(whole * 5)..]);
        }
    }

    private static byte[] BuildTritTable()
    {
        var table = new byte[243 * 5];
        for (int b = 0; b < 243; b++)
        {
            for (int t = 0, v = b; t < 5; t++, v /= 3)
            {
                table[(b * 5) + t] = (byte)(v % 3);
            }
        }

        return table;
    }

    // Each byte is widened to a 16-bit lane holding (low nibble, high nibble) as its two little-endian bytes, so
    // the lanes reinterpreted as bytes are the codes in stream order without any shuffle.
    private static int Nibbles(ReadOnlySpan<byte> packed, Span<byte> codes, SimdLevel level)
    {
        ref byte src = ref MemoryMarshal.GetReference(packed);
        ref byte dst = ref MemoryMarshal.GetReference(codes);
        int bytes = codes.Length / 2, i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i + 16 <= bytes; i += 16)
            {
                Vector128<byte> v = Vector128.LoadUnsafe(ref src, (nuint)i);
                Vector256<ushort> w = Vector256.Create(Vector128.WidenLower(v), Vector128.WidenUpper(v));
                ((w & Vector256.Create((ushort)0x000F)) | ((w << 4) & Vector256.Create((ushort)0x0F00))).AsByte().StoreUnsafe(ref dst, (nuint)(2 * i));
            }
        }

        for (; i + 8 <= bytes; i += 8)
        {
            Vector128<ushort> w = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte());
            ((w & Vector128.Create((ushort)0x000F)) | ((w << 4) & Vector128.Create((ushort)0x0F00))).AsByte().StoreUnsafe(ref dst, (nuint)(2 * i));
        }

        return 2 * i;
    }

    // Same idea with 32-bit lanes: the four 2-bit fields of a byte move to the low bits of the lane's four bytes.
    private static int Crumbs(ReadOnlySpan<byte> packed, Span<byte> codes, SimdLevel level)
    {
        ref byte src = ref MemoryMarshal.GetReference(packed);
        ref byte dst = ref MemoryMarshal.GetReference(codes);
        int bytes = codes.Length / 4, i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i + 8 <= bytes; i += 8)
            {
                Vector128<ushort> h = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i))).AsByte());
                Vector256<uint> u = Vector256.Create(Vector128.WidenLower(h), Vector128.WidenUpper(h));
                Vector256<uint> r = (u & Vector256.Create(0x3u)) | ((u << 6) & Vector256.Create(0x300u))
                    | ((u << 12) & Vector256.Create(0x30000u)) | ((u << 18) & Vector256.Create(0x3000000u));
                r.AsByte().StoreUnsafe(ref dst, (nuint)(4 * i));
            }
        }

        for (; i + 4 <= bytes; i += 4)
        {
            Vector128<uint> u = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i))).AsByte()));
            Vector128<uint> r = (u & Vector128.Create(0x3u)) | ((u << 6) & Vector128.Create(0x300u))
                | ((u << 12) & Vector128.Create(0x30000u)) | ((u << 18) & Vector128.Create(0x3000000u));
            r.AsByte().StoreUnsafe(ref dst, (nuint)(4 * i));
        }

        return 4 * i;
    }
}
