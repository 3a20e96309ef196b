using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelBuild.Runtime;

/// <summary>
/// The weights blob (<c>*.mbw</c>, CONTRACTS.md §2), fully validated and decoded on load. Immutable afterwards,
/// so one instance is shared by every thread.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public sealed class WeightBlob
{
    internal const int HeaderSize = 20;
    internal const int MaxEntries = 65536;
    internal const int MaxRank = 8;
    private static ReadOnlySpan<byte> Magic => "MBW1"u8;

    private readonly string[] _names;
    private readonly WeightMatrix[] _matrices;
    private readonly float[]?[] _floats;
    private readonly byte[] _codes;
    private readonly int[][] _dims;
    private readonly byte[]?[] _bytes;

    private WeightBlob(string[] names, WeightMatrix[] matrices, byte[] codes, int[][] dims, byte[]?[] bytes)
    {
        _names = names;
        _codes = codes;
        _dims = dims;
        _bytes = bytes;
        _matrices = matrices;
        _floats = new float[]?[names.Length];
    }

    /// <summary>Number of entries.</summary>
    public int Count => _names.Length;

    /// <summary>Parses and validates a blob.</summary>
    /// <param name="bytes">The whole blob.</param>
    /// <returns>The decoded blob.</returns>
    /// <exception cref="InvalidDataException">The bytes violate the format; the message names the entry.</exception>
    public static WeightBlob Load(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize)
        {
            throw Bad($"{bytes.Length} bytes is shorter than the {HeaderSize}-byte header (truncated file?)");
        }

        if (!bytes[..4].SequenceEqual(Magic))
        {
            throw Bad("the magic is not \"MBW1\" (not a ModelBuild weights file)");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != 1)
        {
            throw Bad($"version {version} is not supported (this runtime reads version 1; rebuild the model)");
        }

        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
        if ((flags & ~1) != 0)
        {
            throw Bad($"unknown flags 0x{flags:x4}");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (count > MaxEntries)
        {
            throw Bad($"entry count {count} exceeds {MaxEntries}");
        }

        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes[12..]);
        if (payloadLength > (ulong)Array.MaxLength)
        {
            throw Bad($"payload length {payloadLength} is too large");
        }

        var entries = new BlobEntry[count];
        var reader = new BlobTableReader(bytes, HeaderSize);
        ulong used = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = reader.ReadEntry(i, payloadLength);
            used = Math.Max(used, entries[i].Offset + entries[i].Length);
        }

        // Writers end the payload with the last entry (at most alignment padding after it). Checking this
        // before decompressing also bounds the buffer a corrupt length field could make us allocate.
        if (payloadLength - used >= 16)
        {
            throw Bad($"the header's payload length {payloadLength} exceeds the end of the last entry ({used}) by {payloadLength - used} bytes");
        }

        ReadOnlySpan<byte> rest = bytes[reader.Position..];
        byte[]? decompressed = null;
        ReadOnlySpan<byte> payload;
        if ((flags & 1) != 0)
        {
            decompressed = Decompress(rest, (int)payloadLength);
            payload = decompressed;
        }
        else
        {
            if ((ulong)rest.Length != payloadLength)
            {
                throw Bad($"the payload is {rest.Length} bytes but the header says {payloadLength} (truncated or corrupt file)");
            }

            payload = rest;
        }

        var names = new string[entries.Length];
        var matrices = new WeightMatrix[entries.Length];
        var codes = new byte[entries.Length];
        var dims = new int[entries.Length][];
        var raw = new byte[]?[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            names[i] = entries[i].Name;
            codes[i] = entries[i].Code;
            dims[i] = entries[i].Dims;
            if (entries[i].Code == Formats.FormatCodes.Bytes)
            {
                raw[i] = payload.Slice((int)entries[i].Offset, (int)entries[i].Length).ToArray();
                matrices[i] = new WeightMatrix(0, 0, WeightFormat.Float32, [], [], [], []);
            }
            else
            {
                matrices[i] = Decode(entries[i], i, payload);
            }
        }

        return new WeightBlob(names, matrices, codes, dims, raw);
    }

    /// <summary>Loads the blob embedded as a manifest resource.</summary>
    /// <param name="assembly">The assembly holding the resource.</param>
    /// <param name="resourceName">The resource's logical name.</param>
    /// <returns>The decoded blob.</returns>
    /// <exception cref="InvalidOperationException">No such resource; the message lists the names present.</exception>
    /// <exception cref="InvalidDataException">The resource is not a valid blob.</exception>
    public static WeightBlob FromResource(Assembly assembly, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resourceName);
        using Stream? stream = assembly.GetManifestResourceStream(resourceName);
        if (stream is null)
        {
            string[] present = assembly.GetManifestResourceNames();
            Array.Sort(present, StringComparer.Ordinal);
            string list = present.Length == 0 ? "(none)" : string.Join(", ", present.Select(n => "'" + n + "'"));
            throw new InvalidOperationException(
                $"Assembly '{assembly.GetName().Name}' has no manifest resource '{resourceName}'. Resources present: {list}. " +
                "Check that the weights file is embedded with this LogicalName (the plan's resource record).");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Load(bytes);
    }

    /// <summary>The name of entry <paramref name="index"/>.</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The ONNX initializer name.</returns>
    public string Name(int index) => _names[index];

    /// <summary>Entry <paramref name="index"/> as a matrix, in its stored format.</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The shared matrix.</returns>
    /// <remarks>
    /// Compact formats (docs/FORMATS.md) are <see cref="WeightFormat.Float32"/> here: decoded at load, or, for the
    /// ones Dense reads directly (see <see cref="DenseMatrix"/>), decoded on the first call of this method.
    /// </remarks>
    public WeightMatrix Matrix(int index) => _matrices[index].Decoded();

    /// <summary>
    /// Entry <paramref name="index"/> for <see cref="Kernels.Dense(ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, int, Activation)"/>:
    /// packed linear (1–4 bits) and palettized (≤ 4 bits) entries stay compact (IMPLEMENTATION.md, "Direct compact
    /// weights"); every other entry is the same matrix as <see cref="Matrix"/>.
    /// </summary>
    internal WeightMatrix DenseMatrix(int index) => _matrices[index];

    /// <summary>The on-disk format code of entry <paramref name="index"/> (CONTRACTS.md §2, docs/FORMATS.md).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>1–3 for the int8/float32 formats, 4–9 for compact formats (4 and 5 read directly by Dense when covered, the rest decoded at load).</returns>
    public byte StoredFormat(int index) => _codes[index];

    /// <summary>The dims entry <paramref name="index"/> was written with (the tensor's shape, e.g. a Conv weight's [OC, C, KH, KW]).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>A new array.</returns>
    public int[] Dims(int index) => (int[])_dims[index].Clone();

    /// <summary>The payload of a bytes entry (format 10: opaque data such as the ONNX Runtime fallback's graph).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The entry's bytes (shared; do not modify).</returns>
    /// <exception cref="InvalidOperationException">The entry is a weight, not a bytes entry.</exception>
    public ReadOnlySpan<byte> Bytes(int index) => _bytes[index]
        ?? throw new InvalidOperationException($"Weights blob entry {index} ('{_names[index]}') is a {Formats.FormatCodes.Name(_codes[index])} weight, not a bytes entry.");

    /// <summary>Entry <paramref name="index"/> as float32 values, decoded once and cached.</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>A shared array (every call and thread gets the same instance); do not modify it.</returns>
    public float[] Floats(int index)
    {
        float[]? cached = Volatile.Read(ref _floats[index]);
        if (cached is not null)
        {
            return cached;
        }

        if (_bytes[index] is not null)
        {
            throw new InvalidOperationException($"Weights blob entry {index} ('{_names[index]}') holds bytes, not a weight.");
        }

        WeightMatrix m = Matrix(index);
        float[] decoded = m.Format == WeightFormat.Float32 ? m.FloatArray : m.Dequantize();

        // Two threads may both decode; the first to publish wins so all callers share one array.
        return Interlocked.CompareExchange(ref _floats[index], decoded, null) ?? decoded;
    }

    internal static InvalidDataException Bad(string message) => new("Invalid ModelBuild weights blob: " + message + ".");

    private static byte[] Decompress(ReadOnlySpan<byte> source, int length)
    {
        var result = new byte[length];
        using var decoder = new BrotliDecoder();
        OperationStatus status = decoder.Decompress(source, result, out int consumed, out int written);
        if (status == OperationStatus.DestinationTooSmall)
        {
            throw Bad($"the Brotli payload decompresses to more than the {length} bytes the header says");
        }

        if (status != OperationStatus.Done || written != length)
        {
            throw Bad($"the Brotli payload is corrupt or truncated ({status}, {written} of {length} bytes)");
        }

        if (consumed != source.Length)
        {
            throw Bad($"{source.Length - consumed} unexpected bytes after the Brotli payload");
        }

        return result;
    }

    private static WeightMatrix Decode(in BlobEntry e, int index, ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> data = payload.Slice((int)e.Offset, (int)e.Length);
        int rows = e.Rows, cols = e.Cols, n = rows * cols;
        float[] empty = [];
        if (Formats.FormatCodes.IsCompact(e.Code))
        {
            if (Formats.DirectWeights.TryCreate(e.Code, data, rows, cols, Describe(index, e.Name)) is { } direct)
            {
                return new WeightMatrix(direct);
            }

            float[] decoded = Formats.CompactDecoder.Decode(e.Code, data, rows, cols, Describe(index, e.Name), Simd.Best);
            return new WeightMatrix(rows, cols, WeightFormat.Float32, decoded, [], empty, []);
        }

        switch (e.Format)
        {
            case WeightFormat.Float32:
                return new WeightMatrix(rows, cols, e.Format, ReadFloats(data, n), [], empty, []);
            case WeightFormat.Int8:
                return new WeightMatrix(rows, cols, e.Format, empty, ReadInt8(data[(4 * rows)..], n), ReadFloats(data, rows), []);
            default:
                var zp = new int[rows];
                for (int r = 0; r < rows; r++)
                {
                    zp[r] = (sbyte)data[(4 * rows) + r];
                }

                return new WeightMatrix(rows, cols, e.Format, empty, ReadInt8(data[(5 * rows)..], n), ReadFloats(data, rows), zp);
        }
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> data, int count)
    {
        var result = new float[count];
        if (BitConverter.IsLittleEndian)
        {
            data[..(4 * count)].CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                result[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
            }
        }

        return result;
    }

    private static sbyte[] ReadInt8(ReadOnlySpan<byte> data, int count)
    {
        var result = new sbyte[count];
        data[..count].CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    internal static string Describe(int index, string? name) =>
        name is null ? $"entry {index}" : $"entry {index} ('{name}')";

    internal static string DecodeName(ReadOnlySpan<byte> utf8, int index)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw Bad($"entry {index}: the name is not valid UTF-8");
        }
    }
}
