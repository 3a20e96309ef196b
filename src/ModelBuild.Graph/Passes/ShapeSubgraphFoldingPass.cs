using ModelBuild.Graph.Inference;

namespace ModelBuild.Graph.Passes;

/// <summary>
/// Turns a Reshape whose target shape is computed at run time (PyTorch's dynamic flatten:
/// <c>Shape → Gather(0) → Unsqueeze → Concat(…, -1) → Reshape</c>) into a Reshape with a constant target, when every
/// element is a constant, a copy of the input's dimension at the same position (written 0) or the single -1.
/// Shape-computing nodes left without readers are removed.
/// </summary>
public sealed class ShapeSubgraphFoldingPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "fold-shape-subgraphs";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        var evaluator = new ShapeTensorEvaluator(graph);
        foreach (var node in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "Reshape" && graph.DefaultOpset >= 5).ToList())
        {
            if (node.InputOrNull(1) is not { } shapeInput || graph.IsInitializer(shapeInput)
                || evaluator.Evaluate(shapeInput) is not { IsScalar: false } target
                || ConstantTarget(graph, node, target) is not { } constant)
            {
                continue;
            }

            var name = graph.UniqueName(node.Outputs[0] + "_shape");
            graph.SetInitializer(Tensor.FromInt64s(name, [constant.Length], constant));
            node.Inputs[1] = name;
            notes.Add($"{Name}: {GraphEdits.Label(node)} now reshapes to constant [{string.Join(",", constant)}]");
        }

        foreach (var dead in GraphEdits.RemoveDeadNodes(graph))
        {
            notes.Add($"{Name}: removed unused {GraphEdits.Label(dead)}");
            foreach (var output in dead.Outputs)
            {
                graph.ValueInfos.Remove(output);
            }
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static long[]? ConstantTarget(ModelGraph graph, Node node, ShapeTensorValue target)
    {
        var allowZero = node.GetInt("allowzero", 0) != 0;
        var data = node.Inputs[0];
        var shape = graph.GetValueInfo(data)?.Shape;
        var result = new long[target.Elements.Count];
        var open = -1;
        for (var i = 0; i < result.Length; i++)
        {
            var e = target.Elements[i];
            if (e.Value is { } v)
            {
                result[i] = v;
            }
            else if (!allowZero && shape is not null && i < shape.Rank && IsSameDim(e, shape[i], data, i))
            {
                result[i] = 0; // copy the input's dimension, so a symbolic batch stays symbolic
            }
            else
            {
                open = open < 0 ? i : -2;
                result[i] = -1;
            }
        }

        // At most one element may be left for Reshape to infer (-1), counting a -1 that was already constant.
        return open == -2 || result.Count(v => v == -1) > 1 ? null : result;
    }

    private static bool IsSameDim(ShapeElement e, Dim dim, string data, int axis) =>
        (e.SourceValue == data && e.SourceAxis == axis) || (e.Symbol is not null && e.Symbol == dim.Symbol);
}
