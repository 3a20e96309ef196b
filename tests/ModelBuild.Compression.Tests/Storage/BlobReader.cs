using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ModelBuild.Compression.Tests.Storage;

/// <summary>An independent reader of the weights blob, written from CONTRACTS.md §2 alone.</summary>
internal static class BlobReader
{
    public sealed record Entry(string Name, byte Format, int[] Dims, ulong Offset, ulong Length, byte[] Bytes)
    {
        public int Rows => Dims.Length == 0 ? 1 : Dims[0];

        public int Cols => Dims.Length <= 1 ? 1 : Dims.Skip(1).Aggregate(1, (a, d) => a * d);

        public float[] Scales => Enumerable.Range(0, Rows).Select(r => BinaryPrimitives.ReadSingleLittleEndian(Bytes.AsSpan(r * 4))).ToArray();

        public sbyte[] ZeroPoints => Format == 3 ? Bytes.AsSpan(Rows * 4, Rows).ToArray().Select(b => (sbyte)b).ToArray() : [];

        public sbyte[] Int8 => Bytes.AsSpan(Rows * (Format == 3 ? 5 : 4)).ToArray().Select(b => (sbyte)b).ToArray();

        public float[] Floats => Enumerable.Range(0, Bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(Bytes.AsSpan(i * 4))).ToArray();
    }

    public static (ushort Flags, ulong PayloadLength, List<Entry> Entries) Read(byte[] blob)
    {
        var span = blob.AsSpan();
        if (Encoding.ASCII.GetString(span[..4]) != "MBW1" || BinaryPrimitives.ReadUInt16LittleEndian(span[4..]) != 1)
        {
            throw new InvalidDataException("bad magic or version");
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        var payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(span[12..]);
        if (count > 65536 || (flags & ~1) != 0)
        {
            throw new InvalidDataException("bad entry count or flags");
        }

        var pos = 20;
        var table = new List<(string, byte, int[], ulong, ulong)>();
        for (var i = 0; i < count; i++)
        {
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
            var name = Encoding.UTF8.GetString(span.Slice(pos + 2, nameLength));
            pos += 2 + nameLength;
            var format = span[pos];
            var rank = span[pos + 1];
            pos += 2;
            var dims = new int[rank];
            for (var d = 0; d < rank; d++, pos += 4)
            {
                dims[d] = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(span[pos..]));
            }

            table.Add((name, format, dims, BinaryPrimitives.ReadUInt64LittleEndian(span[pos..]), BinaryPrimitives.ReadUInt64LittleEndian(span[(pos + 8)..])));
            pos += 16;
        }

        var payload = span[pos..].ToArray();
        if ((flags & 1) != 0)
        {
            using var brotli = new BrotliStream(new MemoryStream(payload), CompressionMode.Decompress);
            using var output = new MemoryStream();
            brotli.CopyTo(output);
            payload = output.ToArray();
        }

        if ((ulong)payload.Length != payloadLength)
        {
            throw new InvalidDataException($"payload is {payload.Length} bytes, header says {payloadLength}");
        }

        var entries = new List<Entry>();
        foreach (var (name, format, dims, offset, length) in table)
        {
            var elements = dims.Aggregate(1L, (a, d) => a * d);
            var rows = dims.Length == 0 ? 1 : dims[0];
            var expected = format switch
            {
                1 => elements * 4,
                2 => (rows * 4L) + elements,
                3 => (rows * 5L) + elements,
                _ => throw new InvalidDataException($"entry '{name}': unknown format {format}"),
            };
            if ((ulong)expected != length || offset + length > payloadLength || offset % 16 != 0)
            {
                throw new InvalidDataException($"entry '{name}': bad offset/length");
            }

            entries.Add(new Entry(name, format, dims, offset, length, payload.AsSpan((int)offset, (int)length).ToArray()));
        }

        return (flags, payloadLength, entries);
    }
}
