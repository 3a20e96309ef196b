using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelBuild.Compression.Storage;

/// <summary>The entry formats of the weights blob (CONTRACTS.md §2); the numbers are the on-disk codes.</summary>
public enum BlobFormat : byte
{
    /// <summary>rows·cols float32.</summary>
    Float32 = 1,

    /// <summary>rows × f32 scale, then rows·cols int8; value = q·scale[row].</summary>
    Int8 = 2,

    /// <summary>rows × f32 scale, rows × int8 zero point, then rows·cols int8; value = (q − zp[row])·scale[row].</summary>
    Int8Asymmetric = 3,

    /// <summary>Packed linear codes (1..8 bits or ternary) with per-group scales (docs/FORMATS.md).</summary>
    PackedLinear = 4,

    /// <summary>Codebooks per block of rows and packed indices (docs/FORMATS.md).</summary>
    Palettized = 5,

    /// <summary>IEEE binary16 values.</summary>
    Float16 = 6,

    /// <summary>bfloat16 values (the top half of a float32).</summary>
    BFloat16 = 7,

    /// <summary>A bitmask or CSR index of the kept values, then an inner format holding only those (docs/FORMATS.md).</summary>
    Sparse = 8,

    /// <summary>A base format plus a side list of fp16 outliers (docs/FORMATS.md).</summary>
    Outliers = 9,

    /// <summary>Opaque bytes, rank 1 (the ONNX Runtime fallback's graph); not a weight.</summary>
    Bytes = 10,

    /// <summary>rows·cols float32 with the rows interleaved in blocks of 4 (rows a multiple of 4): the conv tiles' order.</summary>
    Float32ConvBlocks = 11,
}

/// <summary>
/// Builds a weights blob, version 1 (<c>*.mbw</c>, CONTRACTS.md §2): a header, an entry table, then the payload
/// with every entry aligned to 16 bytes. The same entries always give the same bytes.
/// </summary>
public sealed class WeightBlobWriter
{
    /// <summary>The blob's ASCII magic.</summary>
    public const string Magic = "MBW1";

    /// <summary>Payload alignment of every entry, in bytes.</summary>
    public const int Alignment = 16;

    /// <summary>Largest number of entries a blob may hold.</summary>
    public const int MaxEntries = 65536;

    private const int MaxRank = 8;
    private readonly List<Entry> _entries = new();

    /// <summary>The number of entries added so far.</summary>
    public int Count => _entries.Count;

    /// <summary>The payload bytes of entry <paramref name="index"/> (what it costs in the blob before entropy coding).</summary>
    public int PayloadLength(int index) => _entries[index].Payload.Length;

    /// <summary>The payload bytes of entry <paramref name="index"/> (before entropy coding).</summary>
    internal ReadOnlySpan<byte> Payload(int index) => _entries[index].Payload;

    /// <summary>Adds a float32 entry and returns its index.</summary>
    public int Add(string name, ReadOnlySpan<float> values, int[] dims)
    {
        var elements = CheckDims(name, dims);
        if (values.Length != elements)
        {
            throw new ArgumentException($"'{name}': {values.Length} values do not match dims [{string.Join(",", dims)}].", nameof(values));
        }

        return AddEntry(name, BlobFormat.Float32, dims, MemoryMarshal.AsBytes(values).ToArray());
    }

    /// <summary>
    /// Adds a float32 conv weight (format 11) and returns its index: the row-major <paramref name="values"/>
    /// (rows = dims[0], a multiple of 4) written with each block of 4 rows interleaved, value (r, k) at
    /// <c>(r / 4)·4·cols + 4·k + r % 4</c>, the order the runtime's conv tiles read, so they read it in place.
    /// </summary>
    /// <exception cref="ArgumentException">The dims are invalid, rows is not a multiple of 4, or the count differs.</exception>
    public int AddConvBlocks(string name, ReadOnlySpan<float> values, int[] dims)
    {
        var elements = CheckDims(name, dims);
        if (values.Length != elements || dims.Length == 0 || dims[0] % 4 != 0 || dims[0] == 0)
        {
            throw new ArgumentException($"'{name}': conv blocks need rows (dims[0]) in multiples of 4 and {elements} values; got dims [{string.Join(",", dims)}] and {values.Length} values.", nameof(values));
        }

        int rows = dims[0], cols = (int)(elements / rows);
        var blocked = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k++)
            {
                blocked[(r / 4 * 4 * cols) + (4 * k) + (r % 4)] = values[(r * cols) + k];
            }
        }

        return AddEntry(name, BlobFormat.Float32ConvBlocks, dims, MemoryMarshal.AsBytes(blocked.AsSpan()).ToArray());
    }

    /// <summary>Adds opaque bytes (format 10, dims = [length]) and returns the index.</summary>
    public int AddBytes(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return AddEntry(name, BlobFormat.Bytes, [bytes.Length], (byte[])bytes.Clone());
    }

    /// <summary>
    /// Adds an int8 matrix (format 2 without zero points, 3 with) and returns its index. The matrix view must
    /// agree with <paramref name="dims"/>: rows = dims[0], rows·cols = the element count.
    /// </summary>
    public int AddInt8(string name, int rows, int cols, sbyte[] rowMajor, float[] rowScales, sbyte[]? zeroPoints, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(rowMajor);
        ArgumentNullException.ThrowIfNull(rowScales);
        var elements = CheckDims(name, dims);
        if (dims.Length == 0 || dims[0] != rows || (long)rows * cols != elements)
        {
            throw new ArgumentException($"'{name}': a {rows}×{cols} matrix does not match dims [{string.Join(",", dims)}] (rows must be dims[0]).", nameof(dims));
        }

        if (rowMajor.Length != elements || rowScales.Length != rows || (zeroPoints is not null && zeroPoints.Length != rows))
        {
            throw new ArgumentException($"'{name}': expected {elements} values and {rows} scales{(zeroPoints is null ? "" : " and zero points")}.", nameof(rowMajor));
        }

        var headerBytes = rows * (zeroPoints is null ? 4 : 5);
        var payload = new byte[headerBytes + rowMajor.Length];
        MemoryMarshal.AsBytes(rowScales.AsSpan()).CopyTo(payload);
        if (zeroPoints is not null)
        {
            MemoryMarshal.AsBytes(zeroPoints.AsSpan()).CopyTo(payload.AsSpan(rows * 4));
        }

        MemoryMarshal.AsBytes(rowMajor.AsSpan()).CopyTo(payload.AsSpan(headerBytes));
        return AddEntry(name, zeroPoints is null ? BlobFormat.Int8 : BlobFormat.Int8Asymmetric, dims, payload);
    }

    /// <summary>
    /// Adds a weight in the representation a pass chose (rows must be dims[0]). float32 and 8-bit per-row linear
    /// codes use formats 1–3, which the kernels read directly; the other representations use the compact formats
    /// of docs/FORMATS.md.
    /// </summary>
    public int AddStored(string name, Representation.StoredMatrix matrix, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        switch (matrix)
        {
            case Representation.DenseFloat f:
                return Add(name, f.Values, dims);
            case Representation.LinearQuantized { Bits: 8, IsTernary: false } q when q.GroupSize >= q.Cols:
                return AddInt8(name, q.Rows, q.Cols, q.Codes, q.Scales, q.ZeroPoints, dims);
            default:
                return AddCompact(name, matrix, dims);
        }
    }

    /// <summary>
    /// The payload bytes <see cref="AddStored"/> writes for <paramref name="matrix"/> (before entropy coding and
    /// alignment), for the report and for choosing between representations.
    /// </summary>
    public static long EncodedSize(Representation.StoredMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var n = (long)matrix.Rows * matrix.Cols;
        return matrix switch
        {
            Representation.DenseFloat => 4 * n,
            Representation.LinearQuantized { Bits: 8, IsTernary: false } q when q.GroupSize >= q.Cols =>
                ((q.ZeroPoints is null ? 4L : 5L) * q.Rows) + n,
            _ => Formats.FormatEncoder.Encode(matrix)?.Payload.LongLength ?? 4 * n,
        };
    }

    /// <summary>The compact formats (4 and up, docs/FORMATS.md); a representation without one is stored as float32.</summary>
    private int AddCompact(string name, Representation.StoredMatrix matrix, int[] dims)
    {
        var elements = CheckDims(name, dims);
        if ((dims.Length == 0 ? 1 : dims[0]) != matrix.Rows || (long)matrix.Rows * matrix.Cols != elements)
        {
            throw new ArgumentException($"'{name}': a {matrix.Rows}×{matrix.Cols} matrix does not match dims [{string.Join(",", dims)}] (rows must be dims[0]).", nameof(dims));
        }

        return Formats.FormatEncoder.Encode(matrix) is { } encoded
            ? AddEntry(name, encoded.Format, dims, encoded.Payload)
            : Add(name, matrix.Decode(), dims);
    }

    /// <summary>
    /// Serialises the blob. With <paramref name="brotli"/> the payload (not the table) is Brotli-compressed at
    /// quality 11, window 22, both fixed so the output is reproducible.
    /// </summary>
    public byte[] ToArray(bool brotli = false)
    {
        var (header, offsets, payloadLength) = Header(brotli);
        if (brotli)
        {
            return [.. header, .. Compress(Payload(offsets, payloadLength))];
        }

        // The payload is copied once, straight into the result: a growing stream would hold up to four copies of
        // it at once, which for a multi-gigabyte model is most of the compressor's peak memory (issue 12).
        var result = new byte[checked(header.Length + payloadLength)]; // zeroed: the alignment padding stays 0
        header.CopyTo(result, 0);
        for (var i = 0; i < _entries.Count; i++)
        {
            _entries[i].Payload.CopyTo(result, header.Length + offsets[i]);
        }

        return result;
    }

    /// <summary>
    /// Writes the bytes <see cref="ToArray"/> returns to <paramref name="output"/>, entry by entry, without a copy of
    /// the whole blob in memory (the compressor streams a multi-gigabyte model's blob to disk, issue 12).
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    public long WriteTo(Stream output, bool brotli = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (header, offsets, payloadLength) = Header(brotli);
        output.Write(header);
        if (brotli)
        {
            var compressed = Compress(Payload(offsets, payloadLength));
            output.Write(compressed);
            return header.Length + compressed.LongLength;
        }

        Span<byte> padding = stackalloc byte[Alignment];
        padding.Clear();
        long position = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            output.Write(padding[..checked((int)(offsets[i] - position))]);
            output.Write(_entries[i].Payload);
            position = offsets[i] + _entries[i].Payload.Length;
        }

        return header.Length + payloadLength;
    }

    /// <summary>The header and entry table, each entry's payload offset, and the payload length (CONTRACTS.md §2).</summary>
    private (byte[] Header, long[] Offsets, long PayloadLength) Header(bool brotli)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ModelBuild requires a little-endian machine.");
        }

        var offsets = new long[_entries.Count];
        long payloadLength = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            offsets[i] = AlignUp(payloadLength);
            payloadLength = offsets[i] + _entries[i].Payload.Length;
        }

        using var output = new MemoryStream();
        using (var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write((ushort)1);
            w.Write((ushort)(brotli ? 1 : 0));
            w.Write(_entries.Count);
            w.Write(payloadLength);
            for (var i = 0; i < _entries.Count; i++)
            {
                var e = _entries[i];
                w.Write((ushort)e.Name.Length);
                w.Write(e.Name);
                w.Write((byte)e.Format);
                w.Write((byte)e.Dims.Length);
                foreach (var d in e.Dims)
                {
                    w.Write((uint)d);
                }

                w.Write((ulong)offsets[i]);
                w.Write((ulong)e.Payload.Length);
            }
        }

        return (output.ToArray(), offsets, payloadLength);
    }

    /// <summary>The payload as one array (what Brotli compresses).</summary>
    private byte[] Payload(long[] offsets, long payloadLength)
    {
        var payload = new byte[payloadLength];
        for (var i = 0; i < _entries.Count; i++)
        {
            _entries[i].Payload.CopyTo(payload, offsets[i]);
        }

        return payload;
    }

    private static byte[] Compress(byte[] payload)
    {
        using var encoder = new BrotliEncoder(quality: 11, window: 22);
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(payload.Length)];
        var status = encoder.Compress(payload, buffer, out _, out var written, isFinalBlock: true);
        if (status != System.Buffers.OperationStatus.Done)
        {
            throw new InvalidOperationException($"Brotli compression failed: {status}.");
        }

        return buffer[..written];
    }

    private static long AlignUp(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static long CheckDims(string name, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length > MaxRank || Array.Exists(dims, d => d < 0))
        {
            throw new ArgumentException($"'{name}': dims [{string.Join(",", dims)}] must be at most {MaxRank} non-negative values.", nameof(dims));
        }

        return dims.Aggregate(1L, (a, d) => checked(a * d));
    }

    private int AddEntry(string name, BlobFormat format, int[] dims, byte[] payload)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"The entry name '{name[..32]}…' is longer than {ushort.MaxValue} UTF-8 bytes.", nameof(name));
        }

        if (_entries.Count >= MaxEntries)
        {
            throw new InvalidOperationException($"A weights blob holds at most {MaxEntries} entries.");
        }

        _entries.Add(new Entry(nameBytes, format, (int[])dims.Clone(), payload));
        return _entries.Count - 1;
    }

    private sealed record Entry(byte[] Name, BlobFormat Format, int[] Dims, byte[] Payload);
}
