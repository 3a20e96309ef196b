using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelBuild.Onnx;

namespace ModelBuild.Graph;

/// <summary>Where a weight came from in the ONNX file; <c>modelbuild inspect</c> reports it.</summary>
public enum TensorOrigin
{
    Initializer,
    ConstantNode,
    Created,
}

/// <summary>
/// A constant tensor (a weight). Data is held as ONNX's little-endian <c>raw_data</c> bytes so every
/// element type round-trips exactly; typed views decode on demand. A deferred tensor (<see cref="Deferred"/>)
/// holds no bytes: it reads them from its source (external data on disk, or a compressed form) when asked, and
/// keeps them only while someone else does, so a model's weights need not all be in memory at once.
/// </summary>
public sealed class Tensor
{
    private readonly byte[]? _rawData;
    private readonly Func<byte[]>? _source;
    private readonly WeakReference<byte[]?> _recent = new(null);

    public Tensor(string name, DataType dataType, long[] dims, byte[] rawData, TensorOrigin origin = TensorOrigin.Created)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(rawData);
        Name = name;
        DataType = dataType;
        Dims = dims;
        _rawData = rawData;
        Origin = origin;
        var elementSize = dataType.ElementSize();
        if (elementSize > 0 && rawData.LongLength != checked(ElementCount * elementSize))
        {
            throw new ArgumentException($"Tensor '{name}': {rawData.LongLength} bytes do not match shape [{string.Join(",", dims)}] of {dataType}.", nameof(rawData));
        }
    }

    /// <summary>
    /// A deferred tensor: <paramref name="source"/> returns its <paramref name="byteLength"/> little-endian bytes
    /// (the same bytes on every call) whenever <see cref="RawData"/> is read and no earlier copy is still alive.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="byteLength"/> does not match the shape, or the type has no fixed element size.</exception>
    public Tensor(string name, DataType dataType, long[] dims, long byteLength, Func<byte[]> source, TensorOrigin origin = TensorOrigin.Created)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(source);
        Name = name;
        DataType = dataType;
        Dims = dims;
        _source = source;
        Origin = origin;
        var elementSize = dataType.ElementSize();
        if (elementSize <= 0 || byteLength != checked(ElementCount * elementSize))
        {
            throw new ArgumentException($"Tensor '{name}': {byteLength} bytes do not match shape [{string.Join(",", dims)}] of {dataType}.", nameof(byteLength));
        }
    }

    /// <summary>A tensor whose bytes stay in ONNX external data until read (see <see cref="Deferred"/>).</summary>
    public static Tensor FromExternal(string name, DataType dataType, long[] dims, ExternalSegment segment, TensorOrigin origin) =>
        new(name, dataType, dims, segment.Length, segment.Read, origin) { External = segment };

    public string Name { get; set; }

    /// <summary>True when the bytes are produced on demand rather than held (see the class remarks).</summary>
    public bool Deferred => _source is not null;

    /// <summary>Where the bytes are in the model's external data, for a tensor read with it deferred; else null.</summary>
    public ExternalSegment? External { get; private init; }

    public DataType DataType { get; }

    public long[] Dims { get; }

    /// <summary>
    /// Little-endian element bytes (ONNX <c>raw_data</c> layout). Empty for string tensors. Treat as read-only: for a
    /// deferred tensor it is a fresh copy (or the one another reader still holds).
    /// </summary>
    public byte[] RawData => _rawData ?? Produce();

    /// <summary>UTF-8 strings for <see cref="DataType.String"/> tensors.</summary>
    public IReadOnlyList<byte[]> StringData { get; init; } = Array.Empty<byte[]>();

    public TensorOrigin Origin { get; set; }

    public TensorShape Shape => TensorShape.Of(Dims);

    public long ElementCount => Dims.Aggregate(1L, (a, d) => checked(a * d));

    public static Tensor FromFloats(string name, long[] dims, ReadOnlySpan<float> values) =>
        new(name, DataType.Float, dims, ToBytes(values));

    public static Tensor FromInt64s(string name, long[] dims, ReadOnlySpan<long> values) =>
        new(name, DataType.Int64, dims, ToBytes(values));

    public static Tensor FromInt8s(string name, long[] dims, ReadOnlySpan<sbyte> values) =>
        new(name, DataType.Int8, dims, ToBytes(values));

    public static Tensor FromUInt8s(string name, long[] dims, ReadOnlySpan<byte> values) =>
        new(name, DataType.UInt8, dims, values.ToArray());

    /// <summary>Values as float32 (converting from any numeric type, as a Cast to float would).</summary>
    public float[] ToFloats()
    {
        var n = checked((int)ElementCount);
        var result = new float[n];
        var raw = RawData.AsSpan();
        switch (DataType)
        {
            case DataType.Float:
                // The bytes are little-endian float32 and so is every supported machine (ToBytes asserts it): one copy.
                MemoryMarshal.Cast<byte, float>(raw[..(n * 4)]).CopyTo(result);
                break;
            case DataType.Double:
                for (var i = 0; i < n; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                break;
            case DataType.Float16:
                for (var i = 0; i < n; i++) result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]));
                break;
            case DataType.BFloat16:
                for (var i = 0; i < n; i++) result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16);
                break;
            default:
                var longs = ToInt64s();
                for (var i = 0; i < n; i++) result[i] = longs[i];
                break;
        }

        return result;
    }

    /// <summary>Values as float64.</summary>
    public double[] ToDoubles()
    {
        if (DataType == DataType.Double)
        {
            var n = checked((int)ElementCount);
            var result = new double[n];
            for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(RawData.AsSpan(i * 8));
            return result;
        }

        return Array.ConvertAll(ToFloats(), f => (double)f);
    }

    /// <summary>Values as int64 (integers and bool exactly; floats truncated toward zero as Cast does).</summary>
    public long[] ToInt64s()
    {
        var n = checked((int)ElementCount);
        var result = new long[n];
        var raw = RawData.AsSpan();
        switch (DataType)
        {
            case DataType.Int64: for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]); break;
            case DataType.UInt64: for (var i = 0; i < n; i++) result[i] = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]); break;
            case DataType.Int32: for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]); break;
            case DataType.UInt32: for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]); break;
            case DataType.Int16: for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]); break;
            case DataType.UInt16: for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]); break;
            case DataType.Int8: for (var i = 0; i < n; i++) result[i] = (sbyte)raw[i]; break;
            case DataType.UInt8: case DataType.Bool: for (var i = 0; i < n; i++) result[i] = raw[i]; break;
            case DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16:
                var f = DataType == DataType.Double ? ToDoubles() : Array.ConvertAll(ToFloats(), x => (double)x);
                for (var i = 0; i < n; i++) result[i] = (long)f[i];
                break;
            default:
                // Strings, complex, float8 and 4-bit types, or a code ONNX does not define: valid to carry, not to compute with.
                throw new ModelBuildException(OnnxErrors.UnsupportedConstruct, null,
                    $"the weight '{Name}' has element type {DataType.OnnxName()}, which ModelBuild cannot compute with (only float, integer and bool weights). Convert it to float32 when exporting the model.");
        }

        return result;
    }

    /// <summary>Size from which producing a deferred tensor first returns earlier garbage (32 MiB: a full GC costs milliseconds).</summary>
    private const long CollectBeforeBytes = 32L << 20;

    private byte[] Produce()
    {
        if (_recent.TryGetTarget(out var recent) && recent is not null)
        {
            return recent; // loops that read RawData element by element must not re-read the source each time
        }

        var length = checked(ElementCount * DataType.ElementSize());
        if (length >= CollectBeforeBytes)
        {
            // Deferred tensors are read one after another (a pass over every layer); without this, the dropped copies of
            // the previous ones wait for the GC's own schedule and the process holds several layers' garbage at once.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        }

        var bytes = _source!();
        if (bytes.LongLength != length)
        {
            throw new InvalidOperationException($"Tensor '{Name}': its source produced {bytes.LongLength} bytes, not the {length} its shape needs.");
        }

        _recent.SetTarget(bytes);
        return bytes;
    }

    private static byte[] ToBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        // The IR stores little-endian bytes; every supported .NET target is little-endian, which we assert once.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ModelBuild requires a little-endian machine.");
        }

        return MemoryMarshal.AsBytes(values).ToArray();
    }
}
