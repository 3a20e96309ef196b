namespace ModelBuild.Graph.Passes;

/// <summary>
/// Replaces nodes whose inputs are all weights by the weight they compute (e.g. mnist-8's Reshape of its FC
/// weight), and <c>Shape</c> of a value whose shape is fully static by a constant.
/// </summary>
public sealed class ConstantFoldingPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "fold-constants";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.ToList())
        {
            if (!node.IsDefaultDomain || !ConstantEvaluator.Operators.Contains(node.OpType) || node.Outputs.Count != 1
                || node.Outputs[0].Length == 0 || graph.IsGraphOutput(node.Outputs[0]) || node.Inputs.Count == 0)
            {
                continue;
            }

            var result = node.OpType == "Shape" ? StaticShape(graph, node) : Evaluate(graph, node);
            if (result is null)
            {
                continue;
            }

            graph.Nodes.Remove(node);
            graph.SetInitializer(result);
            graph.ValueInfos.Remove(result.Name);
            notes.Add($"{Name}: {GraphEdits.Label(node)} became constant [{string.Join(",", result.Dims)}]");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static Tensor? Evaluate(ModelGraph graph, Node node)
    {
        var inputs = new List<Tensor?>();
        foreach (var name in node.Inputs)
        {
            if (name.Length == 0)
            {
                inputs.Add(null);
            }
            else if (graph.GetInitializer(name) is { } t)
            {
                inputs.Add(t);
            }
            else
            {
                return null;
            }
        }

        return ConstantEvaluator.TryEvaluate(node, inputs, graph.DefaultOpset);
    }

    private static Tensor? StaticShape(ModelGraph graph, Node node)
    {
        if (graph.GetValueInfo(node.Inputs[0])?.Shape is not { IsStatic: true } shape)
        {
            return null;
        }

        var dims = shape.ToArray();
        var rank = dims.Length;
        var start = Math.Clamp(node.GetInt("start", 0) is var s && s < 0 ? s + rank : s, 0, rank);
        var end = Math.Clamp(node.GetInt("end", rank) is var e && e < 0 ? e + rank : e, 0, rank);
        var slice = dims.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray();
        return Tensor.FromInt64s(node.Outputs[0], [slice.Length], slice);
    }
}
