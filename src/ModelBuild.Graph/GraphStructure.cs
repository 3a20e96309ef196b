using ModelBuild.Onnx;

namespace ModelBuild.Graph;

/// <summary>
/// Checks, once at import, what every pass relies on: known operators have their required inputs and outputs, each
/// value is produced once and before it is used (nodes are put in topological order when the file is not), and
/// nothing the runtime would silently compute differently (Dropout in training mode) gets through.
/// </summary>
public static class GraphStructure
{
    /// <summary>The code for a cycle, a value without a producer or a value produced twice.</summary>
    public const string BadStructure = "MB3001";

    public static void Validate(ModelGraph graph, string? file)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var node in graph.Nodes)
        {
            CheckArity(node, file);
            AttributeRanges.Check(node, file);
        }

        CheckNames(graph, file);
        SortTopologically(graph, file);
        foreach (var output in graph.Outputs)
        {
            if (output.Name.Length == 0 || (!graph.IsInitializer(output.Name) && !graph.Inputs.Exists(i => i.Name == output.Name)
                && graph.Producer(output.Name) is null))
            {
                throw new ModelBuildException(BadStructure, file,
                    $"the graph output '{output.Name}' is not produced by any node, input or weight. The file is invalid; re-export the model.");
            }
        }

        foreach (var node in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "Dropout"))
        {
            CheckInferenceMode(graph, node, file);
        }
    }

    private static void CheckNames(ModelGraph graph, string? file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in graph.Inputs)
        {
            if (value.Name.Length == 0 || !seen.Add(value.Name))
            {
                throw new ModelBuildException(OnnxErrors.InvalidModel, file,
                    $"the graph input '{value.Name}' is {(value.Name.Length == 0 ? "unnamed" : "listed twice")}; every input needs its own name. The file is invalid; re-export the model.");
            }
        }
    }

    private static void CheckArity(Node node, string? file)
    {
        if (!node.IsDefaultDomain || OperatorArity.Of(node.OpType) is not { } arity)
        {
            return; // unknown operators are reported (MB3003) by whoever has to run them
        }

        if (arity.EveryInputRequired && node.Inputs.Any(i => i.Length == 0))
        {
            throw new ModelBuildException(OnnxErrors.InvalidModel, file,
                $"node '{node.Name}' ({node.OpType}) has {Count(node.Inputs)}, but every input of {node.OpType} must be named "
                + "(an empty name means an absent optional input, and it has none). The file is invalid; re-export the model or check it with onnx.checker.check_model.");
        }

        var required = node.Inputs.Take(arity.MinInputs).Count(i => i.Length > 0);
        var outputs = node.Outputs.Take(arity.MinOutputs).Count(o => o.Length > 0);
        if (node.Inputs.Count > arity.MaxInputs || required < arity.MinInputs || node.Outputs.Count > arity.MaxOutputs || outputs < arity.MinOutputs)
        {
            throw new ModelBuildException(OnnxErrors.InvalidModel, file,
                $"node '{node.Name}' ({node.OpType}) has {Count(node.Inputs)} and {Count(node.Outputs)}, but {node.OpType} takes "
                + $"{Range(arity.MinInputs, arity.MaxInputs)} inputs and {Range(arity.MinOutputs, arity.MaxOutputs)} outputs "
                + $"(the first {arity.MinInputs} inputs named). The file is invalid; re-export the model or check it with onnx.checker.check_model.");
        }
    }

    private static string Count(List<string> names) =>
        FormattableString.Invariant($"{names.Count} {(names.Count == 1 ? "name" : "names")} ({string.Join(", ", names.Select(n => n.Length == 0 ? "\"\"" : n))})");

    private static string Range(int min, int max) =>
        max == int.MaxValue ? FormattableString.Invariant($"{min} or more") : min == max ? FormattableString.Invariant($"{min}") : FormattableString.Invariant($"{min} to {max}");

    /// <summary>Stable topological order (ONNX requires it; a few exporters do not follow it), or MB3001.</summary>
    private static void SortTopologically(ModelGraph graph, string? file)
    {
        var available = new HashSet<string>(graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        available.UnionWith(graph.Initializers.Select(t => t.Name));
        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs.Where(o => o.Length > 0))
            {
                if (available.Contains(output) || !producers.TryAdd(output, node))
                {
                    throw new ModelBuildException(BadStructure, file,
                        $"the value '{output}' is defined twice (by node '{node.Name}' ({node.OpType}) and earlier). Each value must have one producer; re-export the model.");
                }
            }
        }

        if (IsSorted(graph.Nodes, new HashSet<string>(available, StringComparer.Ordinal)))
        {
            return; // the usual case, checked in one pass
        }

        var ordered = new List<Node>(graph.Nodes.Count);
        var pending = graph.Nodes.ToList();
        while (pending.Count > 0)
        {
            var ready = pending.FindIndex(n => n.Inputs.All(i => i.Length == 0 || available.Contains(i)));
            if (ready < 0)
            {
                throw Unresolvable(pending, available, producers, file);
            }

            var node = pending[ready];
            pending.RemoveAt(ready);
            ordered.Add(node);
            available.UnionWith(node.Outputs.Where(o => o.Length > 0));
        }

        if (!ordered.SequenceEqual(graph.Nodes))
        {
            graph.Nodes.Clear();
            graph.Nodes.AddRange(ordered);
        }
    }

    private static bool IsSorted(List<Node> nodes, HashSet<string> available)
    {
        foreach (var node in nodes)
        {
            if (!node.Inputs.All(i => i.Length == 0 || available.Contains(i)))
            {
                return false;
            }

            available.UnionWith(node.Outputs);
        }

        return true;
    }

    private static ModelBuildException Unresolvable(List<Node> pending, HashSet<string> available, Dictionary<string, Node> producers, string? file)
    {
        foreach (var node in pending)
        {
            if (node.Inputs.FirstOrDefault(i => i.Length > 0 && !available.Contains(i) && !producers.ContainsKey(i)) is { } missing)
            {
                return new ModelBuildException(BadStructure, file,
                    $"node '{node.Name}' ({node.OpType}) reads '{missing}', which no node, input or weight produces. The file is invalid; re-export the model.");
            }
        }

        var names = string.Join(", ", pending.Take(5).Select(n => $"'{n.Name}' ({n.OpType})"));
        return new ModelBuildException(BadStructure, file, $"the graph has a cycle through the nodes {names}. ONNX graphs must be acyclic; re-export the model.");
    }

    private static void CheckInferenceMode(ModelGraph graph, Node node, string? file)
    {
        if (node.InputOrNull(2) is not { } flag)
        {
            return;
        }

        if (graph.GetInitializer(flag) is not { DataType: DataType.Bool, RawData: [0] })
        {
            throw new ModelBuildException("MB3003", file,
                $"Dropout '{node.Name}' may run in training mode ('{flag}' is {(graph.IsInitializer(flag) ? "a constant other than false" : "not a constant")}): it drops random "
                + "activations, which a compiled predictor cannot reproduce. Export the model in inference mode (PyTorch: model.eval() before torch.onnx.export).");
        }
    }
}
