using ModelBuild.Graph.Inference;

namespace ModelBuild.Graph.Passes;

/// <summary>Runs the simplification passes in a fixed order until none changes the graph.</summary>
public static class GraphOptimizer
{
    // Each round removes at least one node or weight, so this bound is never reached on a sane graph;
    // it only guards against two passes undoing each other.
    private const int MaxRounds = 50;

    /// <summary>The passes <see cref="Simplify"/> runs, in order; <paramref name="evaluator"/> computes folded nodes.</summary>
    public static IReadOnlyList<IGraphPass> CreatePasses(IConstantEvaluator? evaluator = null) =>
    [
        new VariadicToBinaryPass(),
        new RemoveIdentityPass(),
        new ConstantFoldingPass(evaluator),
        new InlineConstantIfPass(),
        new UnrollScanPass(),
        new UnrollLoopPass(),
        new ShapeSubgraphFoldingPass(),
        new FoldBatchNormPass(),
        new FoldConvScalePass(),
        new FuseBiasAddPass(),
    ];

    /// <summary>
    /// Simplifies <paramref name="graph"/> in place: variadic Max/Min/Sum to two-input nodes, identity removal, constant folding, inlining of an If with a constant condition, unrolling of a Scan of static length and of a Loop of constant trip count, shape-subgraph folding,
    /// BatchNorm folding, folding of a per-channel scale after a Conv, and bias fusion, repeated until nothing changes; then removes unused weights and
    /// re-runs <see cref="ShapeInference"/>. Graph input and output names never change.
    /// </summary>
    /// <param name="graph">The graph, changed in place.</param>
    /// <param name="evaluator">Computes nodes whose inputs are all constants (null: the built-in evaluator only).</param>
    /// <returns>The result of every pass run that changed something, in order (notes start with the pass name).</returns>
    public static IReadOnlyList<PassResult> Simplify(ModelGraph graph, IConstantEvaluator? evaluator = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var passes = CreatePasses(evaluator);
        var results = new List<PassResult>();
        for (var round = 0; round < MaxRounds; round++)
        {
            // Fresh shapes each round: shape folding and MatMul fusion read them.
            ShapeInference.Run(graph);
            var changed = false;
            foreach (var pass in passes)
            {
                var result = pass.Run(graph);
                if (result.Changed)
                {
                    results.Add(result);
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        var before = graph.InitializerCount;
        graph.RemoveUnusedInitializers();
        if (graph.InitializerCount != before)
        {
            results.Add(new PassResult(true, [$"remove-unused-weights: removed {before - graph.InitializerCount} unused weights"]));
        }

        RemoveStaleValueInfos(graph);
        ShapeInference.Run(graph);
        return results;
    }

    private static void RemoveStaleValueInfos(ModelGraph graph)
    {
        var produced = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        foreach (var name in graph.ValueInfos.Keys.Where(k => !produced.Contains(k)).ToList())
        {
            graph.ValueInfos.Remove(name);
        }
    }
}
