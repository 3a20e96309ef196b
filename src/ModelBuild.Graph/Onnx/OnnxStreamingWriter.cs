using Google.Protobuf;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>
/// Writes a model's protobuf bytes with each initializer's <c>raw_data</c> read from its <see cref="Tensor"/> only
/// when the writer reaches it, so a deferred tensor (external data, or int8 codes produced from the compressor's
/// stored form) is in memory one at a time, not all at once inside a <see cref="ModelProto"/> (issue 12).
/// The bytes are exactly what <c>model.ToByteArray()</c> gives for the same model with the data in place.
/// </summary>
/// <remarks>
/// Google.Protobuf writes known fields in field-number order and unknown fields last. So a <see cref="ModelProto"/>
/// is its fields 1–6, then <c>graph</c> (7), then the rest; a <see cref="GraphProto"/> is <c>node</c> (1) and
/// <c>name</c> (2), then <c>initializer</c> (5), then the rest; and a tensor from <see cref="OnnxTensors.ToProto"/>
/// (dims, data_type, name: fields 1, 2 and 8) is those fields, then <c>raw_data</c> (9). Only lengths are needed ahead,
/// and a deferred tensor knows its length without producing its bytes.
/// </remarks>
internal static class OnnxStreamingWriter
{
    private const uint GraphTag = (7 << 3) | 2;
    private const uint InitializerTag = (5 << 3) | 2;
    private const uint RawDataTag = (9 << 3) | 2;

    /// <summary>
    /// Writes <paramref name="model"/>, whose graph has no initializers, with <paramref name="initializers"/> as its
    /// graph's initializers; with <paramref name="external"/>, the large ones go to its data stream instead.
    /// </summary>
    /// <exception cref="ModelBuildException">MB1003 when the model exceeds protobuf's 2 GiB.</exception>
    public static void Write(ModelProto model, IReadOnlyList<Tensor> initializers, Stream output, ExternalDataTarget? external = null)
    {
        var graph = model.Graph;
        if (graph is null || graph.Initializer.Count > 0)
        {
            throw new ArgumentException("the model must have a graph without initializers; they are passed separately", nameof(model));
        }

        var (modelHead, modelTail) = Split(model, ModelHead(model), m => m.Graph = null, m => m.Graph = graph);
        var (graphHead, graphTail) = Split(graph, GraphHead(graph), _ => { }, _ => { });
        var placements = ExternalDataTarget.Place(initializers, external);
        var tensors = initializers.Select((t, i) => placements[i] is { } at
            ? (Tensor: (Tensor?)null, Fields: ExternalDataTarget.Proto(t, external!.Location, at).ToByteArray())
            : (Tensor: t, Fields: TensorFields(t))).ToList();
        var graphLength = graphHead.LongLength + graphTail.LongLength + tensors.Sum(t => FieldLength(TensorLength(t.Tensor, t.Fields)));
        var total = modelHead.LongLength + FieldLength(graphLength) + modelTail.LongLength;
        if (total > int.MaxValue)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, null,
                "The model is larger than the 2 GiB a single ONNX protobuf can hold. Reduce the weights (e.g. quantise) before writing.");
        }

        output.Write(modelHead);
        WriteHeader(output, GraphTag, graphLength);
        output.Write(graphHead);
        foreach (var (tensor, fields) in tensors)
        {
            WriteHeader(output, InitializerTag, TensorLength(tensor, fields));
            output.Write(fields);
            if (tensor is not null && HasRawData(tensor))
            {
                // Read here, written, and dropped before the next tensor: a deferred tensor's bytes live this long.
                var raw = tensor.RawData;
                WriteHeader(output, RawDataTag, raw.LongLength);
                output.Write(raw);
            }
        }

        output.Write(graphTail);
        output.Write(modelTail);
        external?.WriteData(initializers, placements);
    }

    /// <summary>A length-delimited field's tag (one byte: every tag here is below 128) and its length as a varint.</summary>
    private static void WriteHeader(Stream output, uint tag, long length)
    {
        Span<byte> header = stackalloc byte[11];
        header[0] = (byte)tag;
        var n = 1;
        var value = (ulong)length;
        while (value >= 0x80)
        {
            header[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        header[n++] = (byte)value;
        output.Write(header[..n]);
    }

    /// <summary>A tensor's fields other than raw_data (all of them for string tensors, which have none).</summary>
    private static byte[] TensorFields(Tensor tensor)
    {
        if (!HasRawData(tensor))
        {
            return OnnxTensors.ToProto(tensor).ToByteArray();
        }

        // The fields OnnxTensors.ToProto sets besides raw_data, set the same way.
        var proto = new TensorProto { DataType = (int)tensor.DataType };
        if (tensor.Name.Length > 0)
        {
            proto.Name = tensor.Name;
        }

        proto.Dims.AddRange(tensor.Dims);
        return proto.ToByteArray();
    }

    internal static bool HasRawData(Tensor tensor) => tensor.DataType != DataType.String;

    /// <summary>The length of the tensor's raw_data without producing a deferred tensor's bytes.</summary>
    internal static long RawLength(Tensor tensor) =>
        tensor.Deferred ? checked(tensor.ElementCount * tensor.DataType.ElementSize()) : tensor.RawData.LongLength;

    /// <summary>The length of the tensor's message: its other fields and, after them, raw_data (none for external data: null).</summary>
    private static long TensorLength(Tensor? tensor, byte[] fields)
    {
        if (tensor is null || !HasRawData(tensor))
        {
            return fields.LongLength;
        }

        // A deferred tensor's length follows from its shape (its constructor checks it); a held one's is at hand.
        var raw = RawLength(tensor);
        return fields.LongLength + 1 + CodedOutputStream.ComputeLengthSize(checked((int)Math.Min(raw, int.MaxValue))) + raw;
    }

    /// <summary>The bytes a length-delimited field of <paramref name="length"/> bytes takes with its one-byte tag.</summary>
    private static long FieldLength(long length) => 1 + CodedOutputStream.ComputeLengthSize((int)Math.Min(length, int.MaxValue)) + length;

    private static ModelProto ModelHead(ModelProto model)
    {
        var head = new ModelProto();
        if (model.HasIrVersion) head.IrVersion = model.IrVersion;
        if (model.HasProducerName) head.ProducerName = model.ProducerName;
        if (model.HasProducerVersion) head.ProducerVersion = model.ProducerVersion;
        if (model.HasDomain) head.Domain = model.Domain;
        if (model.HasModelVersion) head.ModelVersion = model.ModelVersion;
        if (model.HasDocString) head.DocString = model.DocString;
        return head;
    }

    private static GraphProto GraphHead(GraphProto graph)
    {
        var head = new GraphProto();
        head.Node.AddRange(graph.Node);
        if (graph.HasName) head.Name = graph.Name;
        return head;
    }

    /// <summary>
    /// The message's bytes before and after the field that <paramref name="detach"/> removes: the message without it
    /// is <paramref name="head"/>'s bytes (the fields numbered below it) followed by the rest.
    /// </summary>
    private static (byte[] Head, byte[] Tail) Split<T>(T message, T head, Action<T> detach, Action<T> reattach)
        where T : IMessage<T>
    {
        byte[] without;
        detach(message);
        try
        {
            without = message.ToByteArray();
        }
        finally
        {
            reattach(message);
        }

        var headBytes = head.ToByteArray();
        if (!without.AsSpan().StartsWith(headBytes))
        {
            throw new InvalidOperationException($"{typeof(T).Name}: the fields before the streamed one do not serialise first; the streaming writer's field order is wrong.");
        }

        return (headBytes, without[headBytes.Length..]);
    }
}
