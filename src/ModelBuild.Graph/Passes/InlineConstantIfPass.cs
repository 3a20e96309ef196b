using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Passes;

/// <summary>
/// Replaces an <c>If</c> whose condition is a constant (an initializer, typically once folding has run) by the nodes
/// of the branch it takes. The branch's own values (node outputs, initializers, Constant nodes) get names unique in
/// the graph; names it reads from the outer scope stay; each branch output is copied to the If's output by an
/// <c>Identity</c> (which <see cref="RemoveIdentityPass"/> then removes).
/// </summary>
/// <remarks>
/// The IR keeps graph attributes as opaque <c>AttributeProto</c> bytes; they are decoded here with the importer's
/// attribute and Constant-node conversions. A branch that holds subgraphs of its own is left alone (their references
/// to the branch's values would need the same renaming), as is an If whose condition is computed.
/// </remarks>
public sealed class InlineConstantIfPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "inline-constant-if";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "If" && n.IsDefaultDomain).ToList())
        {
            if (node.InputOrNull(0) is not { } condName || graph.GetInitializer(condName) is not { ElementCount: 1 } cond)
            {
                continue;
            }

            var taken = cond.ToInt64s()[0] != 0;
            var attributeName = taken ? "then_branch" : "else_branch";
            if (node.Attribute(attributeName) is not { Kind: AttributeKind.Opaque } attribute
                || OnnxAttributes.ToProto(attribute).G is not { } branch
                || branch.Output.Count != node.Outputs.Count
                || branch.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
            {
                continue;
            }

            graph.ReplaceNode(node, Inline(graph, node, branch, attributeName));
            notes.Add($"{Name}: If '{node.Name}' → its {attributeName} ({branch.Node.Count} nodes)");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static List<Node> Inline(ModelGraph graph, Node ifNode, GraphProto branch, string attributeName)
    {
        var taken = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs.Append(n.Name)), StringComparer.Ordinal);
        taken.UnionWith(graph.Initializers.Select(t => t.Name));
        taken.UnionWith(graph.Inputs.Select(i => i.Name));
        taken.UnionWith(graph.Outputs.Select(o => o.Name));
        var stem = (ifNode.Name.Length > 0 ? ifNode.Name : ifNode.Outputs.FirstOrDefault(o => o.Length > 0) ?? "if") + "/" + attributeName + "/";
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        string Fresh(string name)
        {
            var candidate = stem + name;
            for (var i = 1; !taken.Add(candidate); i++)
            {
                candidate = $"{stem}{name}_{i}";
            }

            return renamed[name] = candidate;
        }

        foreach (var initializer in branch.Initializer)
        {
            var t = OnnxTensors.ToTensor(initializer, TensorOrigin.Initializer);
            t.Name = Fresh(t.Name);
            graph.SetInitializer(t);
        }

        var nodes = new List<Node>();
        foreach (var proto in branch.Node)
        {
            if (ConstantNodes.TryConvert(proto) is { } constant)
            {
                constant.Name = Fresh(constant.Name);
                graph.SetInitializer(constant);
                continue;
            }

            // Inputs are renamed before this node's outputs: a node reads only earlier values (or outer ones).
            var inputs = proto.Input.Select(i => renamed.GetValueOrDefault(i, i)).ToList();
            var outputs = proto.Output.Select(o => o.Length == 0 ? o : Fresh(o)).ToList();
            var node = new Node(proto.OpType, inputs, outputs, proto.Name.Length > 0 ? stem + proto.Name : "", proto.Domain);
            node.Attributes.AddRange(proto.Attribute.Select(OnnxAttributes.FromProto));
            nodes.Add(node);
        }

        for (var i = 0; i < ifNode.Outputs.Count; i++)
        {
            if (ifNode.Outputs[i].Length > 0)
            {
                var source = branch.Output[i].Name;
                nodes.Add(new Node("Identity", [renamed.GetValueOrDefault(source, source)], [ifNode.Outputs[i]], stem + "output" + i));
            }
        }

        return nodes;
    }
}
