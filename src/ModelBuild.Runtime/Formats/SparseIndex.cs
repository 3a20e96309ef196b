using System.Buffers.Binary;

namespace ModelBuild.Runtime.Formats;

/// <summary>Reads the sparse format's index section into kept positions (ascending, row-major), validating it.</summary>
internal static class SparseIndex
{
    public static int[] Bitmask(ReadOnlySpan<byte> index, int n, int kept, string where)
    {
        FormatCodes.Expect(index.Length, ((long)n + 7) / 8, where, "a sparse bitmask");
        FormatCodes.CheckPadding(index, n, where);
        var positions = new int[kept];
        int found = 0;
        for (int i = 0; i < n; i++)
        {
            if ((index[i >> 3] & (1 << (i & 7))) == 0)
            {
                continue;
            }

            if (found == kept)
            {
                throw FormatCodes.Fail(where, $"the sparse bitmask has more than the {kept} kept values the header says");
            }

            positions[found++] = i;
        }

        return found == kept ? positions : throw FormatCodes.Fail(where, $"the sparse bitmask has {found} kept values, the header says {kept}");
    }

    public static int[] Csr(ReadOnlySpan<byte> index, int rows, int cols, int width, bool absolute16, int kept, string where)
    {
        if ((long)rows * width > index.Length)
        {
            throw FormatCodes.Fail(where, $"the sparse CSR index ({index.Length} bytes) is shorter than its {rows} row counts");
        }

        var positions = new int[kept];
        int at = rows * width, found = 0;
        for (int r = 0; r < rows; r++)
        {
            long count = width switch
            {
                1 => index[r],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(index[(2 * r)..]),
                _ => BinaryPrimitives.ReadUInt32LittleEndian(index[(4 * r)..]),
            };
            if (count > cols || found + count > kept)
            {
                throw FormatCodes.Fail(where, $"sparse row {r} claims {count} kept values (cols {cols}, total {kept})");
            }

            long previous = -1;
            for (int j = 0; j < count; j++)
            {
                long column = absolute16 ? Read(index, ref at, 2, where) : previous + 1 + Delta(index, ref at, where);
                if (column <= previous || column >= cols)
                {
                    throw FormatCodes.Fail(where, $"sparse row {r}: column {column} is out of order or outside 0..{cols - 1}");
                }

                positions[found++] = (int)((r * (long)cols) + column);
                previous = column;
            }
        }

        if (found != kept || at != index.Length)
        {
            throw FormatCodes.Fail(where, $"the sparse CSR index lists {found} values in {at} bytes; the header says {kept} values in {index.Length} bytes");
        }

        return positions;
    }

    private static long Delta(ReadOnlySpan<byte> index, ref int at, string where)
    {
        long d = Read(index, ref at, 1, where);
        return d < 255 ? d : Read(index, ref at, 4, where);
    }

    private static long Read(ReadOnlySpan<byte> index, ref int at, int size, string where)
    {
        if (index.Length - at < size)
        {
            throw FormatCodes.Fail(where, "the sparse CSR index ends early");
        }

        long value = size switch
        {
            1 => index[at],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(index[at..]),
            _ => BinaryPrimitives.ReadUInt32LittleEndian(index[at..]),
        };
        at += size;
        return value;
    }
}
