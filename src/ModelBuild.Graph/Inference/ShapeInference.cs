namespace ModelBuild.Graph.Inference;

/// <summary>
/// Infers the element type and shape of every node output it can and stores them in
/// <see cref="ModelGraph.ValueInfos"/>. Symbolic dimensions (ONNX <c>dim_param</c>, e.g. the batch) stay symbolic.
/// </summary>
/// <remarks>
/// Rules live in a table from operator name to handler, one file per operator family. Operators without a rule
/// (and other domains) are skipped: their outputs keep whatever value_info the file gave. Contradictory shapes
/// raise <see cref="ModelBuildException"/> with code <see cref="InferenceErrors.InconsistentShapes"/>.
/// </remarks>
public static class ShapeInference
{
    private static readonly Dictionary<string, Action<NodeContext>> s_rules = BuildRules();

    /// <summary>The operators (default ONNX domain) this inference understands.</summary>
    public static IReadOnlyCollection<string> SupportedOperators => s_rules.Keys;

    /// <summary>Runs inference over <paramref name="graph"/> in node order (ONNX requires topological order).</summary>
    public static void Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var known = new Dictionary<string, ValueInfo>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            known[input.Name] = input;
        }

        foreach (var t in graph.Initializers)
        {
            known[t.Name] = new ValueInfo(t.Name, t.DataType, t.Shape);
        }

        var evaluator = new ShapeTensorEvaluator(graph, name => known.GetValueOrDefault(name)?.Shape);
        foreach (var node in graph.Nodes)
        {
            var context = new NodeContext(graph, node, known, evaluator);
            if (node.IsDefaultDomain && s_rules.TryGetValue(node.OpType, out var rule))
            {
                try
                {
                    rule(context);
                }
                catch (OverflowException)
                {
                    // Declared dims (e.g. 2^40 × 2^40) whose products leave int64: no real tensor has that many elements.
                    throw context.Fail("its shapes hold more elements than a 64-bit count can express");
                }
            }

            for (var i = 0; i < node.Outputs.Count; i++)
            {
                var name = node.Outputs[i];
                if (name.Length == 0)
                {
                    continue;
                }

                if (context.Results[i] is { } info)
                {
                    var previous = graph.ValueInfos.GetValueOrDefault(name);
                    known[name] = info with { DocString = previous?.DocString };
                    graph.ValueInfos[name] = known[name];
                }
                else if ((graph.ValueInfos.GetValueOrDefault(name) ?? graph.Outputs.Find(o => o.Name == name)) is { } hint)
                {
                    known[name] = hint; // the file's declaration is the best we have for unknown operators
                }
            }
        }
    }

    private static Dictionary<string, Action<NodeContext>> BuildRules()
    {
        var rules = new Dictionary<string, Action<NodeContext>>(StringComparer.Ordinal);
        ElementwiseRules.Register(rules);
        ConvPoolRules.Register(rules);
        LinearRules.Register(rules);
        NormalizationRules.Register(rules);
        LayoutRules.Register(rules);
        IndexingRules.Register(rules);
        DataMovementRules.Register(rules);
        ReductionRules.Register(rules);
        ResizeRules.Register(rules);
        SignalAndDetectionRules.Register(rules);
        RecurrentRules.Register(rules);
        return rules;
    }
}
