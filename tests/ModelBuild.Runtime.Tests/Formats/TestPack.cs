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
