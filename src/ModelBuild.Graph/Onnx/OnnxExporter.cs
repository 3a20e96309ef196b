using Google.Protobuf;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>Writes a <see cref="ModelGraph"/> as ONNX. The same graph always gives the same bytes.</summary>
/// <remarks>
/// Weights are written as initializers with little-endian <c>raw_data</c> in the graph's initializer order
/// (Constant nodes are not recreated). value_info follows node order, then any other entries by name.
/// </remarks>
public static class OnnxExporter
{
    public static ModelProto ToModelProto(ModelGraph graph) => ToModelProto(graph, withInitializers: true);

    private static ModelProto ToModelProto(ModelGraph graph, bool withInitializers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var model = new ModelProto { IrVersion = graph.IrVersion, Graph = ToGraphProto(graph, withInitializers) };
        model.OpsetImport.AddRange(graph.Opsets.Select(o => new OperatorSetIdProto { Domain = o.Domain, Version = o.Version }));
        SetIfNotEmpty(graph.ProducerName, v => model.ProducerName = v);
        SetIfNotEmpty(graph.ProducerVersion, v => model.ProducerVersion = v);
        SetIfNotEmpty(graph.Domain, v => model.Domain = v);
        if (graph.ModelVersion != 0)
        {
            model.ModelVersion = graph.ModelVersion;
        }

        if (graph.DocString is not null)
        {
            model.DocString = graph.DocString;
        }

        model.MetadataProps.AddRange(graph.Metadata.Select(p => new StringStringEntryProto { Key = p.Key, Value = p.Value }));
        model.MergeFrom(graph.UnmodelledOnnxModelFields);
        return model;
    }

    public static byte[] ToBytes(ModelGraph graph) => OnnxWriter.Write(ToModelProto(graph));

    /// <summary>
    /// Writes the bytes <see cref="ToBytes"/> returns to <paramref name="output"/>, without an array of the whole model
    /// and reading each initializer's bytes only when it is written (<see cref="OnnxStreamingWriter"/>): deferred
    /// tensors are in memory one at a time.
    /// </summary>
    /// <exception cref="ModelBuildException">MB1003 when the model exceeds protobuf's 2 GiB.</exception>
    public static void WriteTo(ModelGraph graph, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        OnnxStreamingWriter.Write(ToModelProto(graph, withInitializers: false), graph.Initializers.ToList(), output);
    }

    /// <summary>
    /// The size of the model written inline (<see cref="WriteTo"/>), within a few bytes per tensor, without producing
    /// any deferred tensor's bytes: what decides whether it fits protobuf's 2 GiB.
    /// </summary>
    public static long InlineBytes(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        long bytes = ToModelProto(graph, withInitializers: false).CalculateSize();
        foreach (var tensor in graph.Initializers)
        {
            // Tag, lengths and the tensor's other fields: well under 64 bytes plus its name and dims.
            bytes += OnnxStreamingWriter.HasRawData(tensor)
                ? OnnxStreamingWriter.RawLength(tensor) + 64 + (2L * tensor.Name.Length) + (11L * tensor.Dims.Length)
                : OnnxTensors.ToProto(tensor).CalculateSize() + 16;
        }

        return bytes;
    }

    /// <summary>
    /// Writes the graph to <paramref name="path"/> with each initializer of at least <paramref name="minExternalBytes"/>
    /// bytes as ONNX external data in the file <c>path + ".data"</c> (segments aligned to 64 KiB, so ONNX Runtime maps
    /// them instead of copying), the rest inline. For models written only for ONNX Runtime to read: no 2 GiB limit,
    /// deferred tensors are in memory one at a time, and ONNX Runtime holds no copy of the protobuf's weights.
    /// Both files are created new; the caller deletes them.
    /// </summary>
    /// <returns>The data file's path.</returns>
    /// <exception cref="ModelBuildException">MB1003 when what stays inline exceeds protobuf's 2 GiB.</exception>
    public static string WriteWithExternalData(ModelGraph graph, string path, long minExternalBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegative(minExternalBytes);
        var dataPath = path + ".data";
        using var model = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var data = new FileStream(dataPath, FileMode.CreateNew, FileAccess.Write);
        OnnxStreamingWriter.Write(ToModelProto(graph, withInitializers: false), graph.Initializers.ToList(), model,
            new ExternalDataTarget(data, Path.GetFileName(dataPath), minExternalBytes));
        return dataPath;
    }

    /// <summary>Writes the model atomically (temporary file, then rename).</summary>
    public static void WriteFile(ModelGraph graph, string path) => OnnxWriter.WriteFile(ToModelProto(graph), path);

    private static GraphProto ToGraphProto(ModelGraph graph, bool withInitializers)
    {
        var g = new GraphProto();
        SetIfNotEmpty(graph.Name, v => g.Name = v);
        if (graph.GraphDocString is not null)
        {
            g.DocString = graph.GraphDocString;
        }

        g.Node.AddRange(graph.Nodes.Select(ToNodeProto));
        if (withInitializers)
        {
            g.Initializer.AddRange(graph.Initializers.Select(OnnxTensors.ToProto));
        }

        g.Input.AddRange(graph.Inputs.Select(OnnxValueInfos.ToProto));
        if (graph.IrVersion < 4)
        {
            // Before IR 4 every initializer had to be listed as a graph input as well.
            var inputs = new HashSet<string>(graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
            g.Input.AddRange(graph.Initializers.Where(t => !inputs.Contains(t.Name))
                .Select(t => OnnxValueInfos.ToProto(new ValueInfo(t.Name, t.DataType, t.Shape))));
        }

        g.Output.AddRange(graph.Outputs.Select(OnnxValueInfos.ToProto));
        g.ValueInfo.AddRange(OrderedValueInfos(graph).Select(OnnxValueInfos.ToProto));
        g.MergeFrom(graph.UnmodelledOnnxGraphFields);
        return g;
    }

    private static IEnumerable<ValueInfo> OrderedValueInfos(ModelGraph graph)
    {
        var skip = new HashSet<string>(graph.Inputs.Concat(graph.Outputs).Select(v => v.Name), StringComparer.Ordinal);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in graph.Nodes.SelectMany(n => n.Outputs))
        {
            if (!skip.Contains(name) && graph.ValueInfos.TryGetValue(name, out var info) && written.Add(name))
            {
                yield return info;
            }
        }

        foreach (var entry in graph.ValueInfos.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!skip.Contains(entry.Key) && written.Add(entry.Key))
            {
                yield return entry.Value;
            }
        }
    }

    private static NodeProto ToNodeProto(Node node)
    {
        var proto = new NodeProto { OpType = node.OpType };
        proto.Input.AddRange(node.Inputs);
        proto.Output.AddRange(node.Outputs);
        SetIfNotEmpty(node.Name, v => proto.Name = v);
        SetIfNotEmpty(node.Domain, v => proto.Domain = v);
        proto.Attribute.AddRange(node.Attributes.Select(OnnxAttributes.ToProto));
        if (node.DocString is not null)
        {
            proto.DocString = node.DocString;
        }

        return proto;
    }

    private static void SetIfNotEmpty(string value, Action<string> set)
    {
        if (value.Length > 0)
        {
            set(value);
        }
    }
}
