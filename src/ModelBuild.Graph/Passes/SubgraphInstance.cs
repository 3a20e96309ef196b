using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Passes;

/// <summary>
/// Copies the nodes of a subgraph (an If branch, a Scan body) into the main graph: its inputs are bound to outer
/// values, its own values (node outputs, initializers, Constant nodes) get names unique in the graph, and names it
/// reads from the outer scope stay. Graph attributes are opaque <c>AttributeProto</c> bytes in the IR; they are
/// decoded with the importer's attribute and Constant-node conversions.
/// </summary>
internal sealed class SubgraphInstance
{
    private readonly HashSet<string> _taken;

    public SubgraphInstance(ModelGraph graph)
    {
        _taken = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs.Append(n.Name)), StringComparer.Ordinal);
        _taken.UnionWith(graph.Initializers.Select(t => t.Name));
        _taken.UnionWith(graph.Inputs.Select(i => i.Name));
        _taken.UnionWith(graph.Outputs.Select(o => o.Name));
    }

    /// <summary>The subgraph a graph attribute holds, or null when it is absent or not a plain graph.</summary>
    public static GraphProto? Decode(Node node, string attributeName) =>
        node.Attribute(attributeName) is { Kind: AttributeKind.Opaque } attribute ? OnnxAttributes.ToProto(attribute).G : null;

    /// <summary>Whether a subgraph can be copied: it holds no subgraphs of its own (their references would need renaming too).</summary>
    public static bool IsFlat(GraphProto g) => !g.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0));

    /// <summary>A name not used anywhere in the graph yet, based on <paramref name="stem"/>.</summary>
    public string Fresh(string stem)
    {
        var candidate = stem;
        for (var i = 1; !_taken.Add(candidate); i++)
        {
            candidate = $"{stem}_{i}";
        }

        return candidate;
    }

    /// <summary>
    /// Adds the subgraph's weights to <paramref name="graph"/> and returns its nodes (renamed) and the outer names of
    /// its outputs. <paramref name="inputs"/> binds the subgraph's inputs, in order, to outer values.
    /// </summary>
    public (List<Node> Nodes, List<string> Outputs) Instantiate(ModelGraph graph, GraphProto g, IReadOnlyList<string> inputs, string stem)
    {
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < g.Input.Count; i++)
        {
            renamed[g.Input[i].Name] = inputs[i];
        }

        foreach (var initializer in g.Initializer.Where(t => !renamed.ContainsKey(t.Name)))
        {
            var t = OnnxTensors.ToTensor(initializer, TensorOrigin.Initializer);
            t.Name = renamed[t.Name] = Fresh(stem + t.Name);
            graph.SetInitializer(t);
        }

        var nodes = new List<Node>();
        foreach (var proto in g.Node)
        {
            if (ConstantNodes.TryConvert(proto) is { } constant)
            {
                constant.Name = renamed[constant.Name] = Fresh(stem + constant.Name);
                graph.SetInitializer(constant);
                continue;
            }

            // Inputs are renamed before this node's outputs: a node reads only earlier values (or outer ones).
            var nodeInputs = proto.Input.Select(i => renamed.GetValueOrDefault(i, i)).ToList();
            var outputs = proto.Output.Select(o => o.Length == 0 ? o : renamed[o] = Fresh(stem + o)).ToList();
            var node = new Node(proto.OpType, nodeInputs, outputs, proto.Name.Length > 0 ? Fresh(stem + proto.Name) : "", proto.Domain);
            node.Attributes.AddRange(proto.Attribute.Select(OnnxAttributes.FromProto));
            nodes.Add(node);
        }

        return (nodes, g.Output.Select(o => renamed.GetValueOrDefault(o.Name, o.Name)).ToList());
    }
}
