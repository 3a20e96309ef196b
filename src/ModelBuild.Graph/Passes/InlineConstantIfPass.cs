namespace ModelBuild.Graph.Passes;

/// <summary>
/// Replaces an <c>If</c> whose condition is a constant (an initializer, typically once folding has run) by the nodes
/// of the branch it takes (<see cref="SubgraphInstance"/>: the branch's own values get unique names, outer-scope
/// references stay); each branch output is copied to the If's output by an <c>Identity</c>, which
/// <see cref="RemoveIdentityPass"/> then removes. An If whose condition is computed is left alone (the planner
/// refuses it), as is a branch holding subgraphs of its own.
/// </summary>
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

            var attributeName = cond.ToInt64s()[0] != 0 ? "then_branch" : "else_branch";
            if (SubgraphInstance.Decode(node, attributeName) is not { } branch || branch.Output.Count != node.Outputs.Count
                || branch.Input.Count != 0 || !SubgraphInstance.IsFlat(branch))
            {
                continue;
            }

            var stem = (node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? "if") + "/" + attributeName + "/";
            var (nodes, outputs) = new SubgraphInstance(graph).Instantiate(graph, branch, [], stem);
            for (var i = 0; i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i].Length > 0)
                {
                    nodes.Add(new Node("Identity", [outputs[i]], [node.Outputs[i]], stem + "output" + i));
                }
            }

            graph.ReplaceNode(node, nodes);
            notes.Add($"{Name}: If '{node.Name}' → its {attributeName} ({branch.Node.Count} nodes)");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }
}
