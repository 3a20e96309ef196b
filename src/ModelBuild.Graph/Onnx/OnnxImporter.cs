using Google.Protobuf;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>Builds a <see cref="ModelGraph"/> from an ONNX model.</summary>
/// <remarks>
/// Constant nodes become initializers (<see cref="TensorOrigin.ConstantNode"/>). Graph inputs that are also
/// initializers (the IR &lt; 4 convention) are not listed in <see cref="ModelGraph.Inputs"/>, so passes see only
/// real inputs; the exporter lists them again when it writes an IR &lt; 4 model.
/// </remarks>
public static class OnnxImporter
{
    /// <summary>
    /// Reads (safely, see <see cref="OnnxReader"/>) and imports the model at <paramref name="path"/>. Initializers in
    /// external data stay on disk as deferred tensors (<see cref="Tensor.Deferred"/>), read one at a time when used:
    /// the external data file must stay in place while the graph is in use.
    /// </summary>
    public static ModelGraph Import(string path, OnnxReadLimits? limits = null)
    {
        var (model, external) = OnnxReader.ReadDeferringExternalData(path, limits);
        return Convert(model, path, external);
    }

    /// <summary>Imports a model; its tensors are checked and external data is loaded from <paramref name="baseDirectory"/>.</summary>
    public static ModelGraph Import(ModelProto model, string? baseDirectory = null, string? fileNameForMessages = null)
    {
        OnnxReader.ValidateAndLoadExternalData(model, baseDirectory, fileNameForMessages: fileNameForMessages);
        return Convert(model, fileNameForMessages);
    }

    private static ModelGraph Convert(ModelProto model, string? file, IReadOnlyDictionary<TensorProto, ExternalSegment>? external = null)
    {
        var g = model.Graph;
        var graph = new ModelGraph
        {
            Name = g.Name,
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Domain = model.Domain,
            ModelVersion = model.ModelVersion,
            DocString = model.HasDocString ? model.DocString : null,
            GraphDocString = g.HasDocString ? g.DocString : null,
            UnmodelledOnnxModelFields = UnmodelledModelFields(model),
            UnmodelledOnnxGraphFields = UnmodelledGraphFields(g),
        };
        graph.Opsets.AddRange(model.OpsetImport.Select(o => new OpsetImport(o.Domain, o.Version)));
        graph.Metadata.AddRange(model.MetadataProps.Select(p => KeyValuePair.Create(p.Key, p.Value)));

        foreach (var initializer in g.Initializer)
        {
            var tensor = external is not null && external.TryGetValue(initializer, out var segment)
                ? ((DataType)initializer.DataType).ElementSize() > 0
                    ? Tensor.FromExternal(initializer.Name, (DataType)initializer.DataType, initializer.Dims.ToArray(), segment, TensorOrigin.Initializer)
                    : new Tensor(initializer.Name, (DataType)initializer.DataType, initializer.Dims.ToArray(), segment.Read(), TensorOrigin.Initializer) // packed sub-byte types: small, read now
                : OnnxTensors.ToTensor(initializer, TensorOrigin.Initializer);
            AddWeight(graph, tensor, file);
        }

        foreach (var input in g.Input.Where(i => !graph.IsInitializer(i.Name)))
        {
            graph.Inputs.Add(OnnxValueInfos.FromProtoRequired(input, "input", file));
        }

        foreach (var proto in g.Node)
        {
            if (ConstantNodes.TryConvert(proto) is { } constant && !graph.IsInitializer(constant.Name))
            {
                AddWeight(graph, constant, file);
                continue;
            }

            var node = new Node(proto.OpType, proto.Input, proto.Output, proto.Name, proto.Domain)
            {
                DocString = proto.HasDocString ? proto.DocString : null,
            };
            node.Attributes.AddRange(proto.Attribute.Select(OnnxAttributes.FromProto));
            graph.Nodes.Add(node);
        }

        graph.Outputs.AddRange(g.Output.Select(o => OnnxValueInfos.FromProtoRequired(o, "output", file)));
        foreach (var info in g.ValueInfo)
        {
            // Non-tensor intermediate values have no IR form; value_info is only a hint, so dropping it is safe.
            if (OnnxValueInfos.FromProto(info) is { } value)
            {
                graph.ValueInfos[value.Name] = value;
            }
        }

        GraphStructure.Validate(graph, file);
        return graph;
    }

    private static void AddWeight(ModelGraph graph, Tensor tensor, string? file)
    {
        if (graph.IsInitializer(tensor.Name))
        {
            throw new ModelBuildException(OnnxErrors.InvalidModel, file,
                $"The model defines the weight '{tensor.Name}' twice. The file is invalid; re-export it or run onnx.checker.check_model.");
        }

        graph.SetInitializer(tensor);
    }

    private static byte[] UnmodelledModelFields(ModelProto model)
    {
        var graph = model.Graph;
        model.Graph = null; // cloning without the graph keeps this cheap
        var rest = model.Clone();
        model.Graph = graph;
        rest.ClearIrVersion();
        rest.OpsetImport.Clear();
        rest.ClearProducerName();
        rest.ClearProducerVersion();
        rest.ClearDomain();
        rest.ClearModelVersion();
        rest.ClearDocString();
        rest.MetadataProps.Clear();
        return rest.ToByteArray();
    }

    private static byte[] UnmodelledGraphFields(GraphProto graph)
    {
        // Clone shares the immutable tensor bytes, so this copies structure only.
        var rest = graph.Clone();
        rest.Node.Clear();
        rest.ClearName();
        rest.Initializer.Clear();
        rest.ClearDocString();
        rest.Input.Clear();
        rest.Output.Clear();
        rest.ValueInfo.Clear();
        return rest.ToByteArray();
    }
}
