using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ModelBuild.Runtime.Tests;

/// <summary>One entry for <see cref="BlobWriter"/>; the overrides write deliberately wrong table fields.</summary>
internal sealed record BlobEntrySpec(string Name, WeightFormat Format, int[] Dims, byte[] Data)
{
    public ulong? OffsetOverride { get; init; }

    public ulong? LengthOverride { get; init; }

    public byte? FormatOverride { get; init; }
}

/// <summary>A small, independent writer of the CONTRACTS.md §2 format, so the reader can be round-tripped.</summary>
internal static class BlobWriter
{
    public static byte[] Write(IReadOnlyList<BlobEntrySpec> entries, bool brotli = false, uint? countOverride = null)
    {
        var payload = new MemoryStream();
        var offsets = new ulong[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            while (payload.Length % 16 != 0)
            {
                payload.WriteByte(0);
            }

            offsets[i] = (ulong)payload.Length;
            payload.Write(entries[i].Data);
        }

        var table = new MemoryStream();
        Span<byte> buf = stackalloc byte[8];
        for (int i = 0; i < entries.Count; i++)
        {
            BlobEntrySpec e = entries[i];
            byte[] name = Encoding.UTF8.GetBytes(e.Name);
            BinaryPrimitives.WriteUInt16LittleEndian(buf, (ushort)name.Length);
            table.Write(buf[..2]);
            table.Write(name);
            table.WriteByte(e.FormatOverride ?? (byte)e.Format);
            table.WriteByte((byte)e.Dims.Length);
            foreach (int d in e.Dims)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(buf, (uint)d);
                table.Write(buf[..4]);
            }

            BinaryPrimitives.WriteUInt64LittleEndian(buf, e.OffsetOverride ?? offsets[i]);
            table.Write(buf);
            BinaryPrimitives.WriteUInt64LittleEndian(buf, e.LengthOverride ?? (ulong)e.Data.Length);
            table.Write(buf);
        }

        byte[] body = payload.ToArray();
        if (brotli)
        {
            var compressed = new MemoryStream();
            using (var bs = new BrotliStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                bs.Write(body);
            }

            body = compressed.ToArray();
        }

        var header = new byte[20];
        "MBW1"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), (ushort)(brotli ? 1 : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), countOverride ?? (uint)entries.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(12), (ulong)payload.Length);
        return [.. header, .. table.ToArray(), .. body];
    }

    public static byte[] Float32(float[] values)
    {
        var data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        }

        return data;
    }

    public static byte[] Int8(float[] scales, sbyte[] q) => [.. Float32(scales), .. q.Select(v => (byte)v)];

    public static byte[] Int8Asymmetric(float[] scales, sbyte[] zeroPoints, sbyte[] q) =>
        [.. Float32(scales), .. zeroPoints.Select(v => (byte)v), .. q.Select(v => (byte)v)];
}
