using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelBuild.Runtime;

/// <summary>
/// The weights blob (<c>*.mbw</c>, CONTRACTS.md §2): header and entry table validated on load, each entry made
/// ready on its first use (float32 and int8 entries are views into the payload, compact formats are decoded then).
/// Thread-safe; one instance is shared by every thread.
/// </summary>
/// <remarks>
/// Loading only reads the table, so a model's first prediction pays for the layers it runs and nothing is copied
/// twice: from an assembly's resource (<see cref="FromResource"/>) the payload is used where the runtime mapped it;
/// otherwise it is one pinned copy (or the Brotli output). Entries are published with an interlocked exchange: two
/// threads may both prepare an entry on first use, one result is kept and shared.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public sealed class WeightBlob
{
    internal const int HeaderSize = 20;
    internal const int MaxEntries = 65536;
    internal const int MaxRank = 8;
    private static ReadOnlySpan<byte> Magic => "MBW1"u8;

    private readonly BlobEntry[] _entries;
    private readonly BlobPayload _payload;
    private readonly WeightMatrix?[] _matrices;
    private readonly float[]?[] _floats;

    private WeightBlob(BlobEntry[] entries, BlobPayload payload)
    {
        _entries = entries;
        _payload = payload;
        _matrices = new WeightMatrix?[entries.Length];
        _floats = new float[]?[entries.Length];
    }

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Length;

    /// <summary>The entries' stored bytes (what streaming every weight once reads).</summary>
    internal long PayloadBytes
    {
        get
        {
            ulong sum = 0;
            foreach (var e in _entries)
            {
                sum += e.Length;
            }

            return (long)Math.Min(sum, long.MaxValue);
        }
    }

    /// <summary>Parses and validates a blob's header and entry table; entries are decoded on first use.</summary>
    /// <param name="bytes">The whole blob (copied: the span need not outlive the call).</param>
    /// <returns>The blob.</returns>
    /// <exception cref="InvalidDataException">
    /// The header, table or payload length violate the format; the message names the entry. A compact entry
    /// (formats 4–9) whose own header is corrupt throws the same exception on its first use.
    /// </exception>
    public static WeightBlob Load(ReadOnlySpan<byte> bytes) => Load(bytes, null);

    /// <summary>
    /// <see cref="Load(ReadOnlySpan{byte})"/>, with an uncompressed payload used in place when
    /// <paramref name="inPlaceOwner"/> is given: <paramref name="bytes"/> must then be unmanaged memory that stays
    /// valid while the owner is reachable (an assembly's manifest resource).
    /// </summary>
    internal static unsafe WeightBlob Load(ReadOnlySpan<byte> bytes, object? inPlaceOwner)
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
        BlobPayload payload;
        if ((flags & 1) != 0)
        {
            payload = Decompress(rest, (int)payloadLength);
        }
        else
        {
            if ((ulong)rest.Length != payloadLength)
            {
                throw Bad($"the payload is {rest.Length} bytes but the header says {payloadLength} (truncated or corrupt file)");
            }

            payload = inPlaceOwner is null
                ? BlobPayload.Copy(rest)
                : BlobPayload.InPlace((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(rest)), rest.Length, inPlaceOwner);
        }

        return new WeightBlob(entries, payload);
    }

    /// <summary>
    /// Loads a blob file into one pinned array that the blob then uses in place: the compressor checks the
    /// multi-gigabyte blob it just streamed to disk without holding two copies of it (issue 12).
    /// </summary>
    /// <param name="path">The blob file (at most 2 GiB).</param>
    /// <returns>The blob; entries are decoded on first use.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid blob.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    internal static unsafe WeightBlob LoadFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (file.Length > Array.MaxLength)
        {
            throw Bad($"{file.Length} bytes is larger than a blob can be");
        }

        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)file.Length, pinned: true);
        file.ReadExactly(bytes);
        return Load(new ReadOnlySpan<byte>(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(bytes)), bytes.Length), bytes);
    }

    /// <summary>Loads the blob embedded as a manifest resource, reading the resource in place when the runtime mapped it.</summary>
    /// <param name="assembly">The assembly holding the resource.</param>
    /// <param name="resourceName">The resource's logical name.</param>
    /// <returns>The blob; entries are decoded on first use.</returns>
    /// <exception cref="InvalidOperationException">No such resource; the message lists the names present.</exception>
    /// <exception cref="InvalidDataException">The resource is not a valid blob.</exception>
    public static unsafe WeightBlob FromResource(Assembly assembly, string resourceName)
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

        if (stream is UnmanagedMemoryStream mapped && mapped.Length <= int.MaxValue)
        {
            // The resource lies in the assembly's loaded image for as long as the assembly is loaded: no copy.
            return Load(new ReadOnlySpan<byte>(mapped.PositionPointer, (int)mapped.Length), assembly);
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Load(bytes);
    }

    /// <summary>The name of entry <paramref name="index"/>.</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The ONNX initializer name.</returns>
    public string Name(int index) => _entries[index].Name;

    /// <summary>Entry <paramref name="index"/> as a matrix, in its stored format.</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The shared matrix.</returns>
    /// <remarks>
    /// Compact formats (docs/FORMATS.md) are <see cref="WeightFormat.Float32"/> here: decoded at load, or, for the
    /// ones Dense reads directly (see <see cref="DenseMatrix"/>), decoded on the first call of this method.
    /// </remarks>
    public WeightMatrix Matrix(int index) => Entry(index).Decoded();

    /// <summary>
    /// Entry <paramref name="index"/> for <see cref="Kernels.Dense(ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, int, Activation)"/>:
    /// packed linear (1–4 bits) and palettized (≤ 4 bits) entries stay compact (IMPLEMENTATION.md, "Direct compact
    /// weights"); every other entry is the same matrix as <see cref="Matrix"/>.
    /// </summary>
    internal WeightMatrix DenseMatrix(int index) => Entry(index);

    /// <summary>The on-disk format code of entry <paramref name="index"/> (CONTRACTS.md §2, docs/FORMATS.md).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>1–3 for the int8/float32 formats, 4–9 for compact formats (4 and 5 read directly by Dense when covered, the rest decoded at load).</returns>
    public byte StoredFormat(int index) => _entries[index].Code;

    /// <summary>The dims entry <paramref name="index"/> was written with (the tensor's shape, e.g. a Conv weight's [OC, C, KH, KW]).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>A new array.</returns>
    public int[] Dims(int index) => (int[])_entries[index].Dims.Clone();

    /// <summary>The payload of a bytes entry (format 10: opaque data such as the ONNX Runtime fallback's graph).</summary>
    /// <param name="index">Entry index.</param>
    /// <returns>The entry's bytes (shared; do not modify).</returns>
    /// <exception cref="InvalidOperationException">The entry is a weight, not a bytes entry.</exception>
    public ReadOnlySpan<byte> Bytes(int index) => _entries[index].Code == Formats.FormatCodes.Bytes
        ? _payload.Slice(_entries[index].Offset, _entries[index].Length)
        : throw new InvalidOperationException($"Weights blob entry {index} ('{_entries[index].Name}') is a {Formats.FormatCodes.Name(_entries[index].Code)} weight, not a bytes entry.");

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

        if (_entries[index].Code == Formats.FormatCodes.Bytes)
        {
            throw new InvalidOperationException($"Weights blob entry {index} ('{_entries[index].Name}') holds bytes, not a weight.");
        }

        float[] decoded = Matrix(index).ToFloatArray();

        // Two threads may both decode; the first to publish wins so all callers share one array.
        return Interlocked.CompareExchange(ref _floats[index], decoded, null) ?? decoded;
    }

    /// <summary>Entry <paramref name="index"/> as stored (a direct compact weight stays compact), made on first use.</summary>
    private WeightMatrix Entry(int index)
    {
        WeightMatrix? made = Volatile.Read(ref _matrices[index]);
        if (made is null)
        {
            made = _entries[index].Code == Formats.FormatCodes.Bytes
                ? new WeightMatrix(0, 0, WeightFormat.Float32, [], [], [], [])
                : Decode(_entries[index], index, _payload);
            made = Interlocked.CompareExchange(ref _matrices[index], made, null) ?? made;
        }

        return made;
    }

    internal static InvalidDataException Bad(string message) => new("Invalid ModelBuild weights blob: " + message + ".");

    private static BlobPayload Decompress(ReadOnlySpan<byte> source, int length)
    {
        (BlobPayload payload, byte[] result) = BlobPayload.Allocate(length);
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

        return payload;
    }

    private static WeightMatrix Decode(in BlobEntry e, int index, BlobPayload payload)
    {
        ReadOnlySpan<byte> data = payload.Slice(e.Offset, e.Length);
        int rows = e.Rows, cols = e.Cols;
        if (Formats.FormatCodes.IsCompact(e.Code))
        {
            if (Formats.DirectWeights.TryCreate(e.Code, data, rows, cols, Describe(index, e.Name), payload) is { } direct)
            {
                return new WeightMatrix(direct);
            }

            if (Formats.HalfWeights.TryCreate(e.Code, data, rows, cols, Describe(index, e.Name)) is { } half)
            {
                return new WeightMatrix(half);
            }

            float[] decoded = Formats.CompactDecoder.Decode(e.Code, data, rows, cols, Describe(index, e.Name), Simd.Best);
            if (e.Code == Formats.FormatCodes.Sparse && Formats.SparseWeights.TryCreate(decoded, rows, cols) is { } sparse)
            {
                return new WeightMatrix(sparse);
            }

            return new WeightMatrix(rows, cols, WeightFormat.Float32, decoded, [], [], []);
        }

        if (!BitConverter.IsLittleEndian)
        {
            return DecodeBigEndian(e, data);
        }

        // float32 and int8 entries are views: the table check made their lengths exact, and kernels load unaligned.
        nint start = payload.At(e.Offset);
        if (e.Code == Formats.FormatCodes.Float32ConvBlocks)
        {
            return WeightMatrix.ConvBlocks(rows, cols, payload, start);
        }

        switch (e.Format)
        {
            case WeightFormat.Float32:
                return new WeightMatrix(rows, cols, e.Format, payload, start, 0, 0, []);
            case WeightFormat.Int8:
                return new WeightMatrix(rows, cols, e.Format, payload, 0, start + (4 * rows), start, []);
            default:
                var zp = new int[rows];
                for (int r = 0; r < rows; r++)
                {
                    zp[r] = (sbyte)data[(4 * rows) + r];
                }

                return new WeightMatrix(rows, cols, e.Format, payload, 0, start + (5 * rows), start, zp);
        }
    }

    /// <summary>A big-endian machine cannot view little-endian floats in place: copies with the bytes swapped.</summary>
    private static WeightMatrix DecodeBigEndian(in BlobEntry e, ReadOnlySpan<byte> data)
    {
        int rows = e.Rows, n = rows * e.Cols;
        bool int8 = e.Format != WeightFormat.Float32;
        var floats = new float[int8 ? rows : n];
        for (int i = 0; i < floats.Length; i++)
        {
            floats[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
        }

        if (e.Code == Formats.FormatCodes.Float32ConvBlocks)
        {
            var rowMajor = new float[n];
            WeightMatrix.UnblockRows(floats, rows, e.Cols, rowMajor);
            floats = rowMajor;
        }

        if (!int8)
        {
            return new WeightMatrix(rows, e.Cols, e.Format, floats, [], [], []);
        }

        int codes = e.Format == WeightFormat.Int8 ? 4 * rows : 5 * rows;
        var zp = new int[e.Format == WeightFormat.Int8 ? 0 : rows];
        for (int r = 0; r < zp.Length; r++)
        {
            zp[r] = (sbyte)data[(4 * rows) + r];
        }

        return new WeightMatrix(rows, e.Cols, e.Format, [], MemoryMarshal.Cast<byte, sbyte>(data.Slice(codes, n)).ToArray(), floats, zp);
    }

    internal static string Describe(int index, string? name) =>
        name is null ? $"entry {index}" : $"entry {index} ('{name}')";

    internal static string DecodeName(ReadOnlySpan<byte> utf8, int index)
    {
        // ASCII names (what exporters write) are widened here by a plain loop: the first call of CoreLib's UTF-8
        // decoder JIT-compiles its vector paths (≈ 5 ms), and even its ContainsAnyInRange loads the generic numeric
        // interfaces over byte it is written against (≈ 3 ms of every process's first prediction; issue 12).
        if (IsAscii(utf8))
        {
            Span<char> chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
            for (int i = 0; i < utf8.Length; i++)
            {
                chars[i] = (char)utf8[i];
            }

            return new string(chars);
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw Bad($"entry {index}: the name is not valid UTF-8");
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static bool IsAscii(ReadOnlySpan<byte> utf8)
    {
        foreach (byte b in utf8)
        {
            if (b >= 0x80)
            {
                return false;
            }
        }

        return true;
    }
}
