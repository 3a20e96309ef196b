using System.Buffers.Binary;
using Google.Protobuf;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>
/// Converts between ONNX <c>TensorProto</c> and <see cref="Tensor"/>. Every element type ends up as
/// little-endian <c>raw_data</c> bytes, whichever field the file used.
/// </summary>
public static class OnnxTensors
{
    /// <summary>
    /// Decodes <paramref name="proto"/>, whose data must already be in memory and consistent with its dims
    /// (as <see cref="OnnxReader"/> guarantees). Typed fields are unpacked per the ONNX rules: 16-bit floats
    /// and 8/16-bit integers and bools travel in the low bits of <c>int32_data</c>, uint32 in <c>uint64_data</c>.
    /// </summary>
    public static Tensor ToTensor(TensorProto proto, TensorOrigin origin, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new ArgumentException($"Tensor '{proto.Name}' still refers to external data; read the model with OnnxReader first.", nameof(proto));
        }

        var dims = proto.Dims.ToArray();
        var type = (DataType)proto.DataType;
        name ??= proto.Name;
        if (type == DataType.String)
        {
            return new Tensor(name, type, dims, Array.Empty<byte>(), origin)
            {
                StringData = proto.StringData.Select(s => s.ToByteArray()).ToArray(),
            };
        }

        var raw = proto.HasRawData ? proto.RawData.ToByteArray() : DecodeTypedFields(proto, type);
        return new Tensor(name, type, dims, raw, origin);
    }

    /// <summary>Encodes <paramref name="tensor"/> with <c>raw_data</c> (strings with <c>string_data</c>).</summary>
    public static TensorProto ToProto(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var proto = new TensorProto { DataType = (int)tensor.DataType };
        if (tensor.Name.Length > 0)
        {
            proto.Name = tensor.Name;
        }

        proto.Dims.AddRange(tensor.Dims);
        if (tensor.DataType == DataType.String)
        {
            proto.StringData.AddRange(tensor.StringData.Select(ByteString.CopyFrom));
        }
        else
        {
            // Wrapped, not copied: the tensor's bytes are read-only (Tensor.RawData), and a copy would add a second
            // instance of every weight while a compressed multi-gigabyte model is written (issue 12).
            proto.RawData = UnsafeByteOperations.UnsafeWrap(tensor.RawData);
        }

        return proto;
    }

    private static byte[] DecodeTypedFields(TensorProto p, DataType type)
    {
        var (field, _) = OnnxDataTypes.TypedStorage(p.DataType, 0);
        switch (field)
        {
            case OnnxDataTypes.TypedField.FloatData:
                return Pack(p.FloatData, 4, (span, v) => BinaryPrimitives.WriteSingleLittleEndian(span, v));
            case OnnxDataTypes.TypedField.DoubleData:
                return Pack(p.DoubleData, 8, (span, v) => BinaryPrimitives.WriteDoubleLittleEndian(span, v));
            case OnnxDataTypes.TypedField.Int64Data:
                return Pack(p.Int64Data, 8, (span, v) => BinaryPrimitives.WriteInt64LittleEndian(span, v));
            case OnnxDataTypes.TypedField.UInt64Data when type == DataType.UInt32:
                return Pack(p.Uint64Data, 4, (span, v) => BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)v));
            case OnnxDataTypes.TypedField.UInt64Data:
                return Pack(p.Uint64Data, 8, (span, v) => BinaryPrimitives.WriteUInt64LittleEndian(span, v));
            case OnnxDataTypes.TypedField.Int32Data:
                // Each int32 holds one element's bits (or, for 4-bit types, one already packed byte).
                return type switch
                {
                    DataType.Int32 => Pack(p.Int32Data, 4, (span, v) => BinaryPrimitives.WriteInt32LittleEndian(span, v)),
                    DataType.Int16 or DataType.UInt16 or DataType.Float16 or DataType.BFloat16 =>
                        Pack(p.Int32Data, 2, (span, v) => BinaryPrimitives.WriteUInt16LittleEndian(span, unchecked((ushort)v))),
                    _ => Pack(p.Int32Data, 1, (span, v) => span[0] = unchecked((byte)v)),
                };
            default:
                if (OnnxDataTypes.AllTypedCount(p) == 0)
                {
                    return Array.Empty<byte>();
                }

                throw new ModelBuildException(OnnxErrors.UnsupportedConstruct, null,
                    $"Tensor '{p.Name}' has data type {p.DataType}, which ModelBuild cannot decode from typed fields. Re-export the model with raw_data.");
        }
    }

    private delegate void WriteElement<T>(Span<byte> destination, T value);

    private static byte[] Pack<T>(IReadOnlyList<T> values, int width, WriteElement<T> write)
    {
        var bytes = new byte[checked(values.Count * width)];
        for (var i = 0; i < values.Count; i++)
        {
            write(bytes.AsSpan(i * width, width), values[i]);
        }

        return bytes;
    }
}
