using System.Buffers.Binary;
using System.Text;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// A minimal writer for the weights blob (CONTRACTS §2, version 1, uncompressed), written from the contract
/// alone so the compile tests do not depend on the compression project.
/// </summary>
internal sealed class BlobWriter
{
    private readonly List<(string Name, byte Format, int[] Dims, byte[] Payload)> _entries = [];

    public void AddFloat32(string name, float[] values, params int[] dims)
    {
        var payload = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(i * 4), values[i]);
        }

        _entries.Add((name, 1, dims, payload));
    }

    /// <summary>Symmetric per-row int8: rows × f32 scale, then rows·cols int8 (value = q·scale[row]).</summary>
    public void AddInt8(string name, sbyte[] q, float[] scales, params int[] dims)
    {
        var payload = new byte[(scales.Length * 4) + q.Length];
        for (var r = 0; r < scales.Length; r++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(r * 4), scales[r]);
        }

        for (var i = 0; i < q.Length; i++)
        {
            payload[(scales.Length * 4) + i] = unchecked((byte)q[i]);
        }

        _entries.Add((name, 2, dims, payload));
    }

    public byte[] ToArray()
    {
        var table = new MemoryStream();
        var writer = new BinaryWriter(table);
        long offset = 0;
        var offsets = new List<long>();
        foreach (var e in _entries)
        {
            offsets.Add(offset);
            offset = Align16(offset + e.Payload.Length);
        }

        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            var name = Encoding.UTF8.GetBytes(e.Name);
            writer.Write((ushort)name.Length);
            writer.Write(name);
            writer.Write(e.Format);
            writer.Write((byte)e.Dims.Length);
            foreach (var d in e.Dims)
            {
                writer.Write((uint)d);
            }

            writer.Write((ulong)offsets[i]);
            writer.Write((ulong)e.Payload.Length);
        }

        var payloadLength = _entries.Count == 0 ? 0 : offsets[^1] + _entries[^1].Payload.Length;
        var blob = new MemoryStream();
        var header = new BinaryWriter(blob);
        header.Write("MBW1"u8);
        header.Write((ushort)1);
        header.Write((ushort)0);
        header.Write((uint)_entries.Count);
        header.Write((ulong)payloadLength);
        header.Write(table.ToArray());
        var payload = new byte[payloadLength];
        for (var i = 0; i < _entries.Count; i++)
        {
            _entries[i].Payload.CopyTo(payload, offsets[i]);
        }

        header.Write(payload);
        return blob.ToArray();
    }

    private static long Align16(long value) => (value + 15) & ~15L;
}
