using System.Buffers.Binary;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Storage.Formats;

/// <summary>The index layouts of the sparse format (8, docs/FORMATS.md).</summary>
internal enum SparseLayout : byte
{
    Bitmask = 0,
    CsrDelta8 = 1,
    Csr16 = 2,
}

/// <summary>Encodes a <see cref="SparseMatrix"/>: the smallest index layout, then the inner format's kept values.</summary>
internal static class SparseEncoder
{
    public static (BlobFormat Format, byte[] Payload)? Encode(SparseMatrix s)
    {
        if (s.Mask.Length != (long)s.Rows * s.Cols || s.Inner.Rows != s.Rows || s.Inner.Cols != s.Cols)
        {
            throw new ArgumentException($"{s.Describe()}: the mask or inner matrix does not match {s.Rows}×{s.Cols}.");
        }

        var kept = Enumerable.Range(0, s.Mask.Length).Where(i => s.Mask[i]).ToArray();
        if (FormatEncoder.EncodeValues(s.Inner, kept) is not { } inner)
        {
            return null;
        }

        var (layout, width, index) = SmallestIndex(s.Mask, s.Rows, s.Cols);
        var indexLength = BitPacking.Pad4(index.Length);
        var payload = new byte[12 + indexLength + inner.Payload.Length];
        payload[0] = (byte)layout;
        payload[1] = (byte)inner.Format;
        payload[2] = (byte)width;
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)kept.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), (uint)index.Length);
        index.CopyTo(payload, 12);
        inner.Payload.CopyTo(payload, 12 + indexLength);
        return (BlobFormat.Sparse, payload);
    }

    /// <summary>Every applicable index layout, smallest first (ties keep the order bitmask, CSR u8, CSR u16).</summary>
    public static (SparseLayout Layout, int CountWidth, byte[] Bytes) SmallestIndex(bool[] mask, int rows, int cols)
    {
        var bitmask = new byte[BitPacking.PackedLength(mask.Length, 1)];
        BitPacking.Pack(Array.ConvertAll(mask, m => m ? 1 : 0), 1, bitmask);
        var width = cols <= byte.MaxValue ? 1 : cols <= ushort.MaxValue ? 2 : 4;
        (SparseLayout, int, byte[]) best = (SparseLayout.Bitmask, 0, bitmask);
        foreach (var layout in cols <= 65536 ? [SparseLayout.CsrDelta8, SparseLayout.Csr16] : new[] { SparseLayout.CsrDelta8 })
        {
            var csr = Csr(mask, rows, cols, width, layout);
            if (csr.Length < best.Item3.Length)
            {
                best = (layout, width, csr);
            }
        }

        return best;
    }

    private static byte[] Csr(bool[] mask, int rows, int cols, int width, SparseLayout layout)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        for (var r = 0; r < rows; r++)
        {
            var count = mask.AsSpan(r * cols, cols).Count(true);
            switch (width)
            {
                case 1: w.Write((byte)count); break;
                case 2: w.Write((ushort)count); break;
                default: w.Write((uint)count); break;
            }
        }

        for (var r = 0; r < rows; r++)
        {
            var previous = -1;
            for (var c = 0; c < cols; c++)
            {
                if (!mask[(r * cols) + c])
                {
                    continue;
                }

                if (layout == SparseLayout.Csr16)
                {
                    w.Write((ushort)c);
                }
                else if (c - previous - 1 < 255)
                {
                    w.Write((byte)(c - previous - 1));
                }
                else
                {
                    w.Write((byte)255);
                    w.Write((uint)(c - previous - 1));
                }

                previous = c;
            }
        }

        w.Flush();
        return stream.ToArray();
    }
}
