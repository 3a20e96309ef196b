namespace ModelBuild.Graph.Passes;

/// <summary>Small graph queries and edits shared by the passes.</summary>
internal static class GraphEdits
{
    /// <summary>True when <paramref name="node"/> is the only reader of <paramref name="value"/> and it is not a graph output.</summary>
    public static bool OnlyFeeds(ModelGraph graph, string value, Node node) =>
        !graph.IsGraphOutput(value) && graph.Nodes.All(n => n == node || !n.Inputs.Contains(value));

    /// <summary>The single node reading <paramref name="value"/>, when exactly one does and it is not a graph output.</summary>
    public static Node? SoleConsumer(ModelGraph graph, string value)
    {
        if (graph.IsGraphOutput(value))
        {
            return null;
        }

        var consumers = graph.Consumers(value);
        return consumers.Count == 1 && consumers[0].Inputs.Count(i => i == value) == 1 ? consumers[0] : null;
    }

    /// <summary>Float32 weight values, or null when <paramref name="name"/> is not a float initializer.</summary>
    public static Tensor? FloatInitializer(ModelGraph graph, string? name) =>
        name is not null && graph.GetInitializer(name) is { DataType: DataType.Float } t ? t : null;

    /// <summary>
    /// The bias (input 2) of a Conv with <paramref name="channels"/> output channels as doubles, zeros when it has
    /// none; null when it is not a float constant of that many values (the folds then leave the node alone).
    /// </summary>
    public static double[]? ConvBias(ModelGraph graph, Node conv, long channels)
    {
        if (conv.InputOrNull(2) is not { } name)
        {
            return new double[channels];
        }

        return FloatInitializer(graph, name) is { } b && b.ElementCount == channels ? b.ToDoubles() : null;
    }

    /// <summary>Weights laid out output channel first (Conv's [M, C/group, k…]) as doubles, channel c's block times <paramref name="scale"/>[c].</summary>
    public static double[] ScaledPerOutputChannel(Tensor w, IReadOnlyList<double> scale)
    {
        var weights = w.ToDoubles();
        var perChannel = weights.Length / scale.Count;
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] *= scale[i / perChannel];
        }

        return weights;
    }

    /// <summary>Adds a new float32 weight with a unique name derived from <paramref name="stem"/> and returns the name.</summary>
    public static string AddWeight(ModelGraph graph, string stem, long[] dims, double[] values, string? derivedFrom = null)
    {
        var name = graph.UniqueName(stem);
        graph.SetInitializer(ConstantEvaluator.FromDoubles(name, DataType.Float, dims, values));
        if (derivedFrom is not null)
        {
            graph.WeightOrigins[name] = graph.OriginalName(derivedFrom);
        }

        return name;
    }

    /// <summary>Removes nodes of the default domain whose outputs nobody reads; returns the removed nodes.</summary>
    public static List<Node> RemoveDeadNodes(ModelGraph graph)
    {
        var removed = new List<Node>();
        bool changed;
        do
        {
            changed = false;
            var used = new HashSet<string>(graph.Nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal);
            used.UnionWith(graph.Outputs.Select(o => o.Name));
            for (var i = graph.Nodes.Count - 1; i >= 0; i--)
            {
                var node = graph.Nodes[i];
                if (node.IsDefaultDomain && node.Outputs.All(o => o.Length == 0 || !used.Contains(o)))
                {
                    graph.Nodes.RemoveAt(i);
                    removed.Add(node);
                    changed = true;
                }
            }
        }
        while (changed);
        return removed;
    }

    /// <summary>A readable node label for pass notes.</summary>
    public static string Label(Node node) => node.Name.Length > 0 ? $"{node.OpType} '{node.Name}'" : $"{node.OpType} -> '{node.Outputs.FirstOrDefault()}'";
}
