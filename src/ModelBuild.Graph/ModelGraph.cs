namespace ModelBuild.Graph;

/// <summary>An operator set the model imports, e.g. (<c>""</c>, 13).</summary>
public sealed record OpsetImport(string Domain, long Version);

/// <summary>
/// The in-memory model that every compression pass reads and rewrites. It knows nothing about protobuf or
/// MSBuild; <c>OnnxImporter</c> and <c>OnnxExporter</c> convert to and from ONNX.
/// </summary>
/// <remarks>
/// Weights live in <see cref="Initializers"/> whether the file stored them as initializers or as
/// <c>Constant</c> nodes. Collections keep insertion order so that writing is deterministic.
/// </remarks>
public sealed class ModelGraph
{
    private readonly OrderedDictionary<string, Tensor> _initializers = new(StringComparer.Ordinal);

    public string Name { get; set; } = "";

    public long IrVersion { get; set; } = 8;

    public string ProducerName { get; set; } = "";

    public string ProducerVersion { get; set; } = "";

    public string Domain { get; set; } = "";

    public long ModelVersion { get; set; }

    public string? DocString { get; set; }

    /// <summary>The ONNX graph's own doc_string (<see cref="DocString"/> is the model's).</summary>
    public string? GraphDocString { get; set; }

    /// <summary>
    /// Serialized ONNX <c>ModelProto</c> / <c>GraphProto</c> fields the IR does not model (model-local functions,
    /// training info, sparse initializers, ...). The exporter writes them back unchanged.
    /// </summary>
    public byte[] UnmodelledOnnxModelFields { get; set; } = Array.Empty<byte>();

    /// <inheritdoc cref="UnmodelledOnnxModelFields"/>
    public byte[] UnmodelledOnnxGraphFields { get; set; } = Array.Empty<byte>();

    public List<OpsetImport> Opsets { get; } = new();

    public List<KeyValuePair<string, string>> Metadata { get; } = new();

    /// <summary>
    /// Per-output-channel factors graph passes multiplied into a weight, by the (new) weight's name: a folded
    /// BatchNormalization's γ/√(σ²+ε). Weight = trained weight × factor of its output channel; compression divides
    /// them out to judge magnitudes as trained (a BN scale says nothing about a weight's importance). Not exported.
    /// </summary>
    public Dictionary<string, double[]> FoldedChannelScales { get; } = new(StringComparer.Ordinal);

    public List<ValueInfo> Inputs { get; } = new();

    public List<ValueInfo> Outputs { get; } = new();

    public List<Node> Nodes { get; } = new();

    /// <summary>Known types and shapes of intermediate values (from the file or from shape inference).</summary>
    public Dictionary<string, ValueInfo> ValueInfos { get; } = new(StringComparer.Ordinal);

    public IEnumerable<Tensor> Initializers => _initializers.Values;

    public int InitializerCount => _initializers.Count;

    /// <summary>The opset version of the default ONNX domain (the one operator semantics depend on).</summary>
    public long DefaultOpset => Opsets.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;

    /// <summary>
    /// Weights a graph pass derived from another one (BatchNorm folding <c>0.weight</c> → <c>0.weight_bnfold</c>,
    /// scale folding): derived name → the original initializer's name, so names printed by <c>inspect</c> (and used in
    /// a manifest's <c>layers</c>/<c>exclude</c>) still find the weight after simplification.
    /// </summary>
    public Dictionary<string, string> WeightOrigins { get; } = new(StringComparer.Ordinal);

    /// <summary>The initializer name <paramref name="name"/> was derived from in the original file (itself when not derived).</summary>
    public string OriginalName(string name) => WeightOrigins.TryGetValue(name, out var origin) ? origin : name;

    public bool IsInitializer(string name) => _initializers.ContainsKey(name);

    public Tensor? GetInitializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>Adds a weight or replaces the one with the same name (keeping its position).</summary>
    public void SetInitializer(Tensor tensor) => _initializers[tensor.Name] = tensor;

    public bool RemoveInitializer(string name) => _initializers.Remove(name);

    /// <summary>Type and shape of any value: graph input/output, weight or inferred intermediate.</summary>
    public ValueInfo? GetValueInfo(string name)
    {
        if (_initializers.TryGetValue(name, out var t))
        {
            return new ValueInfo(name, t.DataType, t.Shape);
        }

        return Inputs.Find(v => v.Name == name) ?? ValueInfos.GetValueOrDefault(name) ?? Outputs.Find(v => v.Name == name);
    }

    /// <summary>The node that produces <paramref name="value"/>, or null for inputs and weights.</summary>
    public Node? Producer(string value) => Nodes.Find(n => n.Outputs.Contains(value));

    /// <summary>Nodes that read <paramref name="value"/>, in graph order.</summary>
    public List<Node> Consumers(string value) => Nodes.Where(n => n.Inputs.Contains(value)).ToList();

    /// <summary>True when <paramref name="value"/> is a graph output (so it must keep its name).</summary>
    public bool IsGraphOutput(string value) => Outputs.Exists(o => o.Name == value);

    /// <summary>Points every reader of <paramref name="from"/> (nodes and graph outputs) at <paramref name="to"/>.</summary>
    public void ReplaceAllUses(string from, string to)
    {
        foreach (var node in Nodes)
        {
            for (var i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i] == from)
                {
                    node.Inputs[i] = to;
                }
            }
        }
    }

    /// <summary>Replaces <paramref name="node"/> by <paramref name="replacement"/> at the same position.</summary>
    public void ReplaceNode(Node node, IEnumerable<Node> replacement)
    {
        var index = Nodes.IndexOf(node);
        if (index < 0)
        {
            throw new ArgumentException($"{node} is not in the graph.", nameof(node));
        }

        Nodes.RemoveAt(index);
        Nodes.InsertRange(index, replacement);
    }

    /// <summary>Removes weights that no node reads any more (subgraphs of If/Loop/Scan count: they may read outer names).</summary>
    public void RemoveUnusedInitializers()
    {
        var used = new HashSet<string>(Nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal);
        used.UnionWith(Outputs.Select(o => o.Name));
        foreach (var attribute in Nodes.SelectMany(n => n.Attributes).Where(a => a.Kind == AttributeKind.Opaque))
        {
            var proto = Onnx.OnnxAttributes.ToProto(attribute);
            foreach (var g in proto.Graphs.Prepend(proto.G).OfType<ModelBuild.Onnx.Proto.GraphProto>())
            {
                AddSubgraphReads(g, used);
            }
        }

        foreach (var name in _initializers.Keys.Where(k => !used.Contains(k)).ToList())
        {
            _initializers.Remove(name);
        }
    }

    /// <summary>Every name the nodes of <paramref name="g"/> and of its nested subgraphs read.</summary>
    private static void AddSubgraphReads(ModelBuild.Onnx.Proto.GraphProto g, HashSet<string> used)
    {
        foreach (var node in g.Node)
        {
            used.UnionWith(node.Input);
            foreach (var a in node.Attribute)
            {
                foreach (var nested in a.Graphs.Prepend(a.G).OfType<ModelBuild.Onnx.Proto.GraphProto>())
                {
                    AddSubgraphReads(nested, used);
                }
            }
        }
    }

    /// <summary>Returns a fresh value or node name that is not yet used, based on <paramref name="stem"/>.</summary>
    public string UniqueName(string stem)
    {
        var taken = new HashSet<string>(Nodes.SelectMany(n => n.Outputs.Append(n.Name)), StringComparer.Ordinal);
        taken.UnionWith(_initializers.Keys);
        taken.UnionWith(Inputs.Select(i => i.Name));
        if (!taken.Contains(stem))
        {
            return stem;
        }

        for (var i = 1; ; i++)
        {
            var candidate = $"{stem}_{i}";
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
