namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>Packs code streams bit by bit as docs/FORMATS.md words them, independently of any product code.</summary>
internal static class TestPack
{
    public static byte[] Bits(int[] codes, int bits)
    {
        var bytes = new byte[((codes.Length * bits) + 7) / 8];
        for (int i = 0; i < codes.Length; i++)
        {
            for (int b = 0; b < bits; b++)
            {
                long j = ((long)i * bits) + b;
                if (((codes[i] >> b) & 1) != 0)
                {
                    bytes[j / 8] |= (byte)(1 << (int)(j % 8));
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// Row-blocked codes (docs/FORMATS.md, "Row-blocked codes"), bit by bit: rows padded to whole blocks; for 1, 2, 4
    /// bits an 8-byte block of 64/b codes with code <c>j + 8m</c> of the block at bits <c>b·m</c> of byte <c>j</c>; for
    /// 3 bits a 3-byte block of 8 codes LSB-first; then 8 zero bytes.
    /// </summary>
    public static byte[] RowBlocked(int[] codes, int bits, int rows, int cols)
    {
        int blockCodes = bits == 3 ? 8 : 64 / bits, blockBytes = bits == 3 ? 3 : 8;
        int rowBytes = (cols + blockCodes - 1) / blockCodes * blockBytes;
        var bytes = new byte[(rows * rowBytes) + 8];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int block = c / blockCodes, i = c % blockCodes;
                for (int b = 0; b < bits; b++)
                {
                    // Bit position inside the block: 3 bits run LSB-first, the others put code i in byte i % 8.
                    int at = bits == 3 ? (3 * i) + b : (8 * (i % 8)) + (bits * (i / 8)) + b;
                    if (((codes[(r * cols) + c] >> b) & 1) != 0)
                    {
                        bytes[(r * rowBytes) + (block * blockBytes) + (at / 8)] |= (byte)(1 << (at % 8));
                    }
                }
            }
        }

        return bytes;
    }

    public static byte[] Trits(int[] trits)
    {
        var bytes = new byte[(trits.Length + 4) / 5];
        for (int i = 0; i < trits.Length; i++)
        {
            bytes[i / 5] += (byte)(trits[i] * (int)Math.Pow(3, i % 5));
        }

        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] U32(params uint[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] F32(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] U16(params ushort[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] Pad4(byte[] bytes) => [.. bytes, .. new byte[((bytes.Length + 3) & ~3) - bytes.Length]];
}
