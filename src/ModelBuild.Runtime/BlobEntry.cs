using System.Buffers.Binary;

namespace ModelBuild.Runtime;

/// <summary>One validated row of the blob's entry table.</summary>
/// <remarks>
/// <see cref="Code"/> is the on-disk format; compact codes (4 and up, docs/FORMATS.md) decode to <see cref="WeightFormat.Float32"/>.
/// </remarks>
internal readonly record struct BlobEntry(string Name, byte Code, int Rows, int Cols, ulong Offset, ulong Length, int[] Dims)
{
    public WeightFormat Format => Formats.FormatCodes.IsCompact(Code) ? WeightFormat.Float32 : (WeightFormat)Code;
}

/// <summary>Reads and validates the entry table, one entry at a time, never reading past the span.</summary>
internal ref struct BlobTableReader(ReadOnlySpan<byte> bytes, int position)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    public int Position { get; private set; } = position;

    public BlobEntry ReadEntry(int index, ulong payloadLength)
    {
        string where = WeightBlob.Describe(index, null);
        ushort nameLength = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, where));
        string name = WeightBlob.DecodeName(Take(nameLength, where), index);
        where = WeightBlob.Describe(index, name);
        ReadOnlySpan<byte> fr = Take(2, where);
        byte code = fr[0];
        var format = (WeightFormat)code;
        if (!Formats.FormatCodes.IsKnown(code))
        {
            throw WeightBlob.Bad($"{where}: unknown format code {fr[0]}");
        }

        int rank = fr[1];
        if (rank > WeightBlob.MaxRank)
        {
            throw WeightBlob.Bad($"{where}: rank {rank} exceeds {WeightBlob.MaxRank}");
        }

        long rows = 1, cols = 1;
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            uint dim = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, where));
            dims[d] = (int)Math.Min(dim, int.MaxValue);
            if (d == 0)
            {
                rows = dim;
            }
            else
            {
                cols *= dim;
            }

            if (rows * cols > Array.MaxLength)
            {
                throw WeightBlob.Bad($"{where}: dims have more than {Array.MaxLength} elements");
            }
        }

        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, where));
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, where));
        if (offset > payloadLength || length > payloadLength - offset)
        {
            throw WeightBlob.Bad($"{where}: bytes {offset}..{offset + length} lie outside the {payloadLength}-byte payload");
        }

        if (offset % 16 != 0)
        {
            throw WeightBlob.Bad($"{where}: offset {offset} is not a multiple of 16");
        }

        ulong n = (ulong)(rows * cols);
        if (code == Formats.FormatCodes.Bytes && rank != 1)
        {
            throw WeightBlob.Bad($"{where}: a bytes entry has rank {rank}, not 1");
        }

        ulong expected = code == Formats.FormatCodes.Bytes ? n : format switch
        {
            WeightFormat.Float32 => 4 * n,
            WeightFormat.Int8 => (4 * (ulong)rows) + n,
            _ => (5 * (ulong)rows) + n,
        };
        // Compact formats are self-describing; their decoder checks the exact length against their header.
        if (!Formats.FormatCodes.IsCompact(code) && length != expected)
        {
            throw WeightBlob.Bad($"{where}: {length} bytes but format {format} with {rows}×{cols} needs exactly {expected}");
        }

        return new BlobEntry(name, code, (int)rows, (int)cols, offset, length, dims);
    }

    private ReadOnlySpan<byte> Take(int count, string where)
    {
        if (_bytes.Length - Position < count)
        {
            throw WeightBlob.Bad($"{where}: the entry table ends early (truncated file?)");
        }

        ReadOnlySpan<byte> result = _bytes.Slice(Position, count);
        Position += count;
        return result;
    }
}
