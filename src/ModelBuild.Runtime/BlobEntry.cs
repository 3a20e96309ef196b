using System.Buffers.Binary;

namespace ModelBuild.Runtime;

/// <summary>One validated row of the blob's entry table.</summary>
/// <remarks>
/// <see cref="Code"/> is the on-disk format; compact codes (4 and up, docs/FORMATS.md) decode to <see cref="WeightFormat.Float32"/>.
/// </remarks>
internal readonly record struct BlobEntry(string Name, byte Code, int Rows, int Cols, ulong Offset, ulong Length, int[] Dims)
{
    public WeightFormat Format => Formats.FormatCodes.IsCompact(Code) || Code == Formats.FormatCodes.Float32ConvBlocks ? WeightFormat.Float32 : (WeightFormat)Code;
}

/// <summary>Reads and validates the entry table, one entry at a time, never reading past the span.</summary>
internal ref struct BlobTableReader(ReadOnlySpan<byte> bytes, int position)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    public int Position { get; private set; } = position;

    public BlobEntry ReadEntry(int index, ulong payloadLength)
    {
        // Messages name the entry only when they are thrown: formatting an int eagerly, twice per entry, loaded the
        // culture data (ICU) in every process's first prediction, ≈ 7–10 ms of the cold start (issue 12).
        string? name = null;
        ushort nameLength = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, index, name));
        name = WeightBlob.DecodeName(Take(nameLength, index, name), index);
        ReadOnlySpan<byte> fr = Take(2, index, name);
        byte code = fr[0];
        var format = (WeightFormat)code;
        if (!Formats.FormatCodes.IsKnown(code))
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: unknown format code {fr[0]}");
        }

        int rank = fr[1];
        if (rank > WeightBlob.MaxRank)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: rank {rank} exceeds {WeightBlob.MaxRank}");
        }

        long rows = 1, cols = 1;
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            uint dim = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, index, name));
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
                throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: dims have more than {Array.MaxLength} elements");
            }
        }

        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, index, name));
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, index, name));
        if (offset > payloadLength || length > payloadLength - offset)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: bytes {offset}..{offset + length} lie outside the {payloadLength}-byte payload");
        }

        if (offset % 16 != 0)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: offset {offset} is not a multiple of 16");
        }

        ulong n = (ulong)(rows * cols);
        if (code == Formats.FormatCodes.Float32ConvBlocks && rows % 4 != 0)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: conv blocks need rows in multiples of 4, not {rows}");
        }

        if (code == Formats.FormatCodes.Bytes && rank != 1)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: a bytes entry has rank {rank}, not 1");
        }

        ulong expected = code == Formats.FormatCodes.Bytes ? n : code == Formats.FormatCodes.Float32ConvBlocks ? 4 * n : format switch
        {
            WeightFormat.Float32 => 4 * n,
            WeightFormat.Int8 => (4 * (ulong)rows) + n,
            _ => (5 * (ulong)rows) + n,
        };
        // Compact formats are self-describing; their decoder checks the exact length against their header.
        if (!Formats.FormatCodes.IsCompact(code) && length != expected)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: {length} bytes but format {format} with {rows}×{cols} needs exactly {expected}");
        }

        return new BlobEntry(name, code, (int)rows, (int)cols, offset, length, dims);
    }

    private ReadOnlySpan<byte> Take(int count, int index, string? name)
    {
        if (_bytes.Length - Position < count)
        {
            throw WeightBlob.Bad($"{WeightBlob.Describe(index, name)}: the entry table ends early (truncated file?)");
        }

        ReadOnlySpan<byte> result = _bytes.Slice(Position, count);
        Position += count;
        return result;
    }
}
