namespace ModelBuild.Graph.Passes;

/// <summary>
/// Rewrites ONNX's variadic Max, Min and Sum (any number of inputs) into what later stages handle: one input is a
/// copy (Identity), three or more are a chain of two-input nodes with the same result. Mean with one input is a copy.
/// </summary>
public sealed class VariadicToBinaryPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "variadic-to-binary";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.ToList())
        {
            if (!node.IsDefaultDomain || node.OpType is not ("Max" or "Min" or "Sum" or "Mean") || node.Inputs.Count == 2
                || node.Inputs.Count == 0 || node.Outputs.Count != 1 || node.Inputs.Any(i => i.Length == 0))
            {
                continue;
            }

            if (node.Inputs.Count == 1)
            {
                graph.ReplaceNode(node, [new Node("Identity", node.Inputs, node.Outputs, node.Name)]);
                notes.Add($"{Name}: {node.OpType} '{node.Name}' of one input is a copy");
                continue;
            }

            if (node.OpType == "Mean")
            {
                continue; // a chain of Means is not the mean: the runtime runs Mean of any count as one VariadicOp
            }

            var chain = new List<Node>();
            var left = node.Inputs[0];
            for (var i = 1; i < node.Inputs.Count; i++)
            {
                var output = i == node.Inputs.Count - 1 ? node.Outputs[0] : graph.UniqueName(FormattableString.Invariant($"{node.Outputs[0]}_{node.OpType.ToLowerInvariant()}{i}"));
                chain.Add(new Node(node.OpType, [left, node.Inputs[i]], [output], i == node.Inputs.Count - 1 ? node.Name : graph.UniqueName(FormattableString.Invariant($"{node.Name}_part{i}"))));
                left = output;
            }

            graph.ReplaceNode(node, chain);
            notes.Add($"{Name}: {node.OpType} '{node.Name}' of {node.Inputs.Count} inputs became {chain.Count} two-input nodes");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }
}
