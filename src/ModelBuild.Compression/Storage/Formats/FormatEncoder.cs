using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Storage.Formats;

/// <summary>
/// Encodes a <see cref="StoredMatrix"/> in its compact blob format (docs/FORMATS.md). The bytes depend only on the
/// representation, so the same model always gives the same blob.
/// </summary>
internal static class FormatEncoder
{
    /// <summary>The format and payload, or null when the representation has no compact format (stored as float32).</summary>
    public static (BlobFormat Format, byte[] Payload)? Encode(StoredMatrix matrix) => matrix switch
    {
        SparseMatrix s => SparseEncoder.Encode(s),
        WithOutliers o => EncodeOutliers(o),
        _ => EncodeValues(matrix, null),
    };

    /// <summary>
    /// A dense format whose value stream holds only the positions in <paramref name="kept"/> (ascending, row-major;
    /// null = all): the inner payload of a sparse entry, or a whole dense entry.
    /// </summary>
    public static (BlobFormat Format, byte[] Payload)? EncodeValues(StoredMatrix matrix, int[]? kept) => matrix switch
    {
        DenseFloat f => (BlobFormat.Float32, Select(Check(f.Values, f), kept)),
        HalfFloat h => (h.IsBFloat16 ? BlobFormat.BFloat16 : BlobFormat.Float16, Select(Check(h.Bits, h), kept)),
        LinearQuantized q => (BlobFormat.PackedLinear, EncodeLinear(q, kept)),
        Palettized p => (BlobFormat.Palettized, EncodePalette(p, kept)),
        _ => null,
    };

    private static T[] Check<T>(T[] values, StoredMatrix m) => values.Length == (long)m.Rows * m.Cols
        ? values
        : throw new ArgumentException($"{m.Describe()}: {values.Length} values for a {m.Rows}×{m.Cols} matrix.");

    private static byte[] Select<T>(T[] values, int[]? kept)
        where T : unmanaged =>
        MemoryMarshal.AsBytes((kept is null ? values : Array.ConvertAll(kept, i => values[i])).AsSpan()).ToArray();

    private static byte[] EncodeLinear(LinearQuantized q, int[]? kept)
    {
        var bits = q.IsTernary ? 2 : q.Bits;
        var trits = q.IsTernary && !q.TwoBitCodes;
        if (bits is < 1 or > 8 || q.GroupSize < 1)
        {
            throw new ArgumentException($"{q.Describe()}: bits must be 1..8 and the group size positive.");
        }

        Check(q.Codes, q);
        var groups = q.Rows * (q.Cols == 0 ? 0 : q.GroupsPerRow);
        if (q.Scales.Length != groups || (q.ZeroPoints is not null && q.ZeroPoints.Length != groups))
        {
            throw new ArgumentException($"{q.Describe()}: expected {groups} scales{(q.ZeroPoints is null ? "" : " and zero points")}.");
        }

        // Trits store t = q + 1; b-bit codes (ternary ones too, when stored as 2-bit codes) store u = q + 2^(b−1).
        int min = q.IsTernary ? -1 : -(1 << (bits - 1)), max = q.IsTernary ? 1 : (1 << (bits - 1)) - 1, bias = trits ? 1 : 1 << (bits - 1);
        var codes = Array.ConvertAll(kept ?? Enumerable.Range(0, q.Codes.Length).ToArray(), i => q.Codes[i] >= min && q.Codes[i] <= max
            ? q.Codes[i] + bias
            : throw new ArgumentException($"{q.Describe()}: code {q.Codes[i]} at {i} is outside [{min}, {max}]."));

        var zpBytes = q.ZeroPoints is null ? 0 : BitPacking.Pad4(groups);
        var streamStart = 8 + (4 * groups) + zpBytes;
        var group = Math.Max(1, Math.Min(q.GroupSize, q.Cols));
        var blocks = kept is null && !trits ? RowBlocked(bits, q.Rows, q.Cols) : null;
        blocks = blocks is { } b && (group == q.Cols || group % b.BlockCodes == 0) ? blocks : null;
        var payload = new byte[streamStart + (blocks is { } layout ? checked((int)layout.Length(q.Rows)) : trits ? BitPacking.TernaryLength(codes.Length) : BitPacking.PackedLength(codes.Length, bits))];
        payload[0] = (byte)bits;
        payload[1] = (byte)((q.ZeroPoints is null ? 0 : 1) | (trits ? 2 : 0) | (blocks is null ? 0 : RowBlockedFlag));
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)group);
        WriteFloats(q.Scales, payload.AsSpan(8));
        if (q.ZeroPoints is not null)
        {
            MemoryMarshal.AsBytes(q.ZeroPoints.AsSpan()).CopyTo(payload.AsSpan(8 + (4 * groups)));
        }

        if (blocks is { } rowBlocks)
        {
            PackRowBlocked(rowBlocks, codes, q.Rows, payload.AsSpan(streamStart));
        }
        else if (trits)
        {
            BitPacking.PackTernary(codes, payload.AsSpan(streamStart));
        }
        else
        {
            BitPacking.Pack(codes, bits, payload.AsSpan(streamStart));
        }

        return payload;
    }

    private static byte[] EncodePalette(Palettized p, int[]? kept)
    {
        if (p.Bits is < 1 or > 8 || p.RowsPerCodebook < 1)
        {
            throw new ArgumentException($"{p.Describe()}: bits must be 1..8 and rows per codebook positive.");
        }

        Check(p.Indices, p);
        var size = 1 << p.Bits;
        var books = (int)(((long)p.Rows + p.RowsPerCodebook - 1) / p.RowsPerCodebook);
        if (p.Codebooks.Length < books * size)
        {
            throw new ArgumentException($"{p.Describe()}: {p.Codebooks.Length} codebook values, {books}×{size} needed.");
        }

        var indices = Array.ConvertAll(kept ?? Enumerable.Range(0, p.Indices.Length).ToArray(), i => p.Indices[i] < size
            ? (int)p.Indices[i]
            : throw new ArgumentException($"{p.Describe()}: index {p.Indices[i]} at {i} is outside the {size}-entry codebook."));

        var streamStart = 8 + (4 * books * size);
        var blocks = kept is null ? RowBlocked(p.Bits, p.Rows, p.Cols) : null;
        var payload = new byte[streamStart + (blocks is { } layout ? checked((int)layout.Length(p.Rows)) : BitPacking.PackedLength(indices.Length, p.Bits))];
        payload[0] = (byte)p.Bits;
        payload[1] = (byte)(blocks is null ? 0 : RowBlockedFlag);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)p.RowsPerCodebook);
        WriteFloats(p.Codebooks.AsSpan(0, books * size), payload.AsSpan(8));
        if (blocks is { } rowBlocks)
        {
            PackRowBlocked(rowBlocks, indices, p.Rows, payload.AsSpan(streamStart));
        }
        else
        {
            BitPacking.Pack(indices, p.Bits, payload.AsSpan(streamStart));
        }

        return payload;
    }

    private static (BlobFormat, byte[])? EncodeOutliers(WithOutliers o)
    {
        if (Encode(o.Base) is not { } inner || inner.Format == BlobFormat.Outliers)
        {
            return null;
        }

        if (o.Indices.Length != o.HalfValues.Length)
        {
            throw new ArgumentException($"{o.Describe()}: {o.Indices.Length} indices but {o.HalfValues.Length} values.");
        }

        // Decode() applies outliers in order, so the last one naming an index wins; the format lists each once.
        var n = (long)o.Rows * o.Cols;
        var last = new SortedDictionary<int, ushort>();
        for (var i = 0; i < o.Indices.Length; i++)
        {
            last[o.Indices[i] >= 0 && o.Indices[i] < n ? o.Indices[i] : throw new ArgumentException($"{o.Describe()}: outlier index {o.Indices[i]} is outside the matrix.")] = o.HalfValues[i];
        }

        var baseLength = BitPacking.Pad4(inner.Payload.Length);
        var payload = new byte[12 + baseLength + (6 * last.Count)];
        payload[0] = (byte)inner.Format;
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)inner.Payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), (uint)last.Count);
        inner.Payload.CopyTo(payload, 12);
        int at = 12 + baseLength, previous = 0, j = 0;
        foreach (var (index, half) in last)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(at + (4 * j)), (uint)(index - previous));
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(at + (4 * last.Count) + (2 * j)), half);
            previous = index;
            j++;
        }

        return (BlobFormat.Outliers, payload);
    }

    /// <summary>Flag bit 2 of formats 4 and 5 (docs/FORMATS.md, "Row-blocked codes"), as the runtime's reader defines it.</summary>
    private const int RowBlockedFlag = Runtime.Formats.DenseDecoders.RowBlockedFlag;

    /// <summary>
    /// The row-blocked layout for a whole matrix of 1–4-bit codes: the runtime's Dense kernels read it where the blob
    /// lies, so such an entry costs its own bytes in memory rather than a regrouped copy (issue 12). Null (the LSB-first
    /// stream) for other widths, empty matrices, and rows so short that padding them to whole blocks would add more than
    /// 1/8 to the codes (a 3×3 depthwise kernel's 9 codes would take a block of 16–64): such weights are small, and
    /// mostly read by convolutions, which decode them to float32 anyway.
    /// </summary>
    private static Runtime.Formats.RowBlocks? RowBlocked(int bits, int rows, int cols)
    {
        if (!Runtime.Formats.RowBlocks.Supports(bits) || rows <= 0 || cols <= 0)
        {
            return null;
        }

        var layout = new Runtime.Formats.RowBlocks(bits, cols);
        var stream = (((long)rows * cols * bits) + 7) / 8;
        return (long)rows * layout.RowBytes <= stream + (stream / 8) ? layout : null;
    }

    private static void PackRowBlocked(Runtime.Formats.RowBlocks layout, int[] codes, int rows, Span<byte> dest)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < layout.Cols; c++)
            {
                layout.Put(dest, r, c, codes[(r * layout.Cols) + c]);
            }
        }
    }

    private static void WriteFloats(ReadOnlySpan<float> values, Span<byte> dest)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(dest[(4 * i)..], values[i]);
        }
    }
}
