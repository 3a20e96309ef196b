namespace ModelBuild.Graph.Passes;

/// <summary>
/// Replaces nodes whose inputs are all weights by the weights they compute (e.g. mnist-8's Reshape of its FC
/// weight), and <c>Shape</c> of a value whose shape is fully static by a constant.
/// </summary>
/// <remarks>
/// <paramref name="evaluator"/> (the runtime's operators, supplied by the compressor) is asked first; the built-in
/// <see cref="ConstantEvaluator"/> covers the few single-output operators on types the runtime does not compute
/// (e.g. a Reshape of int8 weights). A node neither computes stays in the graph, and so does one whose result is
/// much larger than its inputs, whichever evaluator computed it (see <see cref="SmallResultElements"/>).
/// </remarks>
public sealed class ConstantFoldingPass(IConstantEvaluator? evaluator = null) : IGraphPass
{
    /// <summary>
    /// Results up to this many elements are always folded; larger ones only when they hold no more elements than
    /// the node's distinct inputs. A ConstantOfShape or Concat the size of a feature map is cheaper to compute per
    /// call than to ship as weights.
    /// </summary>
    public const long SmallResultElements = 1 << 16;

    /// <summary>Whether results of this many elements, computed from inputs of that many, are worth storing.</summary>
    public static bool WorthStoring(long resultElements, long inputElements) =>
        resultElements <= SmallResultElements || resultElements <= inputElements;

    /// <inheritdoc/>
    public string Name => "fold-constants";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.ToList())
        {
            // Graph outputs stay computed: the generated predictor returns activations, not constants.
            if (!node.IsDefaultDomain || node.Inputs.Count == 0 || node.Outputs.Count == 0
                || node.Outputs.Any(graph.IsGraphOutput))
            {
                continue;
            }

            var results = node.OpType == "Shape" ? StaticShape(graph, node) : Evaluate(graph, node);
            if (results is null)
            {
                continue;
            }

            graph.Nodes.Remove(node);
            foreach (var result in results.Where(r => r.Name.Length > 0))
            {
                graph.SetInitializer(result);
                graph.ValueInfos.Remove(result.Name);
            }

            notes.Add($"{Name}: {GraphEdits.Label(node)} became constant " + string.Join(", ", results.Where(r => r.Name.Length > 0).Select(r => $"[{string.Join(",", r.Dims)}]")));
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private IReadOnlyList<Tensor>? Evaluate(ModelGraph graph, Node node)
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

        if (evaluator?.TryEvaluate(node, inputs, graph.DefaultOpset) is { } computed)
        {
            return computed;
        }

        if (node.Outputs.Count != 1 || !ConstantEvaluator.Operators.Contains(node.OpType)
            || ConstantEvaluator.TryEvaluate(node, inputs, graph.DefaultOpset) is not { } single)
        {
            return null;
        }

        var inputElements = inputs.OfType<Tensor>().DistinctBy(t => t.Name, StringComparer.Ordinal).Sum(t => t.ElementCount);
        return WorthStoring(single.ElementCount, inputElements) ? [single] : null;
    }

    private static Tensor[]? StaticShape(ModelGraph graph, Node node)
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
        return [Tensor.FromInt64s(node.Outputs[0], [slice.Length], slice)];
    }
}
