namespace ModelBuild.Compression.Storage.Formats;

/// <summary>The code streams of docs/FORMATS.md: LSB-first bit packing and base-3 packing of 5 trits per byte.</summary>
internal static class BitPacking
{
    private static readonly int[] Pow3 = [1, 3, 9, 27, 81];

    /// <summary>Bytes of <paramref name="count"/> packed codes of <paramref name="bits"/> bits.</summary>
    public static int PackedLength(long count, int bits) => checked((int)(((count * bits) + 7) / 8));

    /// <summary>Bytes of <paramref name="count"/> trits, 5 per byte.</summary>
    public static int TernaryLength(long count) => checked((int)((count + 4) / 5));

    /// <summary>Writes unsigned codes (each below 2^bits) into <paramref name="dest"/>, which must be zeroed.</summary>
    public static void Pack(ReadOnlySpan<int> codes, int bits, Span<byte> dest)
    {
        // A 64-bit accumulator flushes whole bytes, so codes may straddle byte boundaries freely.
        ulong acc = 0;
        var filled = 0;
        var o = 0;
        foreach (var code in codes)
        {
            acc |= (ulong)(uint)code << filled;
            filled += bits;
            while (filled >= 8)
            {
                dest[o++] = (byte)acc;
                acc >>= 8;
                filled -= 8;
            }
        }

        if (filled > 0)
        {
            dest[o] = (byte)acc;
        }
    }

    /// <summary>Writes trits (0, 1, 2) into <paramref name="dest"/>, which must be zeroed.</summary>
    public static void PackTernary(ReadOnlySpan<int> trits, Span<byte> dest)
    {
        for (var i = 0; i < trits.Length; i++)
        {
            dest[i / 5] += (byte)(trits[i] * Pow3[i % 5]);
        }
    }

    /// <summary>Rounds up to a multiple of 4 (section alignment inside a payload).</summary>
    public static int Pad4(int length) => (length + 3) & ~3;
}
