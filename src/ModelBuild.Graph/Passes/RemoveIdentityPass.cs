namespace ModelBuild.Graph.Passes;

/// <summary>Removes <c>Identity</c> nodes and inference-mode <c>Dropout</c> nodes (which copy their input).</summary>
/// <remarks>Graph outputs keep their names: when the removed node wrote one, its producer is renamed instead.</remarks>
public sealed class RemoveIdentityPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "remove-identity";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.ToList())
        {
            if (!node.IsDefaultDomain || !IsCopy(graph, node))
            {
                continue;
            }

            var (x, y) = (node.Inputs[0], node.Outputs[0]);
            if (!graph.IsGraphOutput(y))
            {
                graph.Nodes.Remove(node);
                graph.ReplaceAllUses(y, x);
                graph.ValueInfos.Remove(y);
            }
            else if (graph.Producer(x) is { } producer && !graph.IsGraphOutput(x) && !graph.Inputs.Exists(i => i.Name == x))
            {
                // y must survive as a name: let x's producer write y directly.
                graph.Nodes.Remove(node);
                producer.Outputs[producer.Outputs.IndexOf(x)] = y;
                graph.ReplaceAllUses(x, y);
                graph.ValueInfos.Remove(x);
            }
            else
            {
                continue; // a graph input or weight passed straight to an output needs the copy
            }

            notes.Add($"{Name}: removed {GraphEdits.Label(node)}");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static bool IsCopy(ModelGraph graph, Node node)
    {
        if (node.Inputs.Count == 0 || node.InputOrNull(0) is null || node.Outputs.Count == 0 || node.Outputs[0].Length == 0)
        {
            return false;
        }

        if (node.OpType == "Identity")
        {
            return true;
        }

        if (node.OpType != "Dropout")
        {
            return false;
        }

        // The mask output must be unused, and training_mode (opset 12+, input 2) absent or a constant false.
        var maskUsed = node.Outputs.Skip(1).Any(o => o.Length > 0 && (graph.IsGraphOutput(o) || graph.Consumers(o).Count > 0));
        var training = node.InputOrNull(2) is { } t && (graph.GetInitializer(t) is not { } flag || flag.ToInt64s().Any(v => v != 0));
        return !maskUsed && !training;
    }
}
