using System.Runtime.InteropServices;
using System.Text;

namespace ModelBuild.OnnxRuntime;

/// <summary>
/// Puts decoded weights back into the fallback's ONNX graph without a protobuf library: it appends one more
/// <c>ModelProto.graph</c> field holding only <c>GraphProto.initializer</c> entries. Protobuf parsers merge a
/// singular message field that occurs twice and concatenate repeated fields, so ONNX Runtime sees the graph with
/// every initializer (the protobuf encoding spec, "Last One Wins" / merging of embedded messages).
/// </summary>
/// <remarks>
/// ONNX Runtime's <c>SessionOptions.AddInitializer</c> is no substitute: its constant folding reads the graph's own
/// initializer data before the shared one replaces it, and refuses an initializer without data.
/// </remarks>
internal static class InitializerAppender
{
    private const int FloatType = 1; // TensorProto.DataType.FLOAT

    /// <summary>The model bytes followed by a graph field with the float32 initializers.</summary>
    /// <param name="model">A serialized ModelProto.</param>
    /// <param name="initializers">Name, ONNX dims and row-major values of each weight.</param>
    public static byte[] Append(ReadOnlySpan<byte> model, IReadOnlyList<(string Name, int[] Dims, float[] Values)> initializers)
    {
        using var graph = new MemoryStream();
        foreach (var (name, dims, values) in initializers)
        {
            using var tensor = new MemoryStream();
            foreach (var d in dims)
            {
                Tag(tensor, 1, 0);
                Varint(tensor, (ulong)d);
            }

            Tag(tensor, 2, 0);
            Varint(tensor, FloatType);
            Bytes(tensor, 8, Encoding.UTF8.GetBytes(name));
            Bytes(tensor, 9, MemoryMarshal.AsBytes(values.AsSpan()));
            Bytes(graph, 5, tensor.GetBuffer().AsSpan(0, (int)tensor.Length));
        }

        using var result = new MemoryStream(model.Length + (int)graph.Length + 16);
        result.Write(model);
        Bytes(result, 7, graph.GetBuffer().AsSpan(0, (int)graph.Length));
        return result.ToArray();
    }

    private static void Tag(Stream s, int field, int wireType) => Varint(s, (ulong)((field << 3) | wireType));

    private static void Bytes(Stream s, int field, ReadOnlySpan<byte> bytes)
    {
        Tag(s, field, 2);
        Varint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void Varint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }
}
