namespace ModelBuild.Graph.Passes;

/// <summary>
/// Unrolls an ONNX <c>Scan</c> (opset ≥ 9) whose iteration count is known at build time (the scan inputs' scanned
/// dims are static): per iteration, each scan input's slice is a <c>Gather</c> of one index on its scan axis, the body
/// is copied (<see cref="SubgraphInstance"/>) with its state inputs bound to the previous iteration's state outputs,
/// and each scan output is the <c>Concat</c> of the iterations' outputs, each given the scan axis by
/// <c>Unsqueeze</c> (in reverse order for scan_output_directions = 1). The final states are copied to the Scan's
/// first outputs by <c>Identity</c>. Left alone (the planner refuses it): opset-8 Scan (batched, sequence_lens), an
/// unknown or zero iteration count, a body holding subgraphs, more than <see cref="MaxCopiedNodes"/> nodes unrolled.
/// </summary>
public sealed class UnrollScanPass : IGraphPass
{
    /// <summary>Iterations × body nodes beyond which the loop is not unrolled.</summary>
    public const int MaxCopiedNodes = 4096;

    /// <inheritdoc/>
    public string Name => "unroll-scan";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        if (graph.DefaultOpset < 9)
        {
            return PassResult.Unchanged;
        }

        foreach (var node in graph.Nodes.Where(n => n.OpType == "Scan" && n.IsDefaultDomain).ToList())
        {
            if (Unroll(graph, node) is { } replacement)
            {
                graph.ReplaceNode(node, replacement.Nodes);
                notes.Add($"{Name}: Scan '{node.Name}' → {replacement.Steps} iterations");
            }
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static (List<Node> Nodes, int Steps)? Unroll(ModelGraph graph, Node node)
    {
        var scanInputs = (int)node.GetInt("num_scan_inputs", -1);
        var body = SubgraphInstance.Decode(node, "body");
        var states = node.Inputs.Count - scanInputs;
        if (body is null || scanInputs <= 0 || states < 0 || node.Inputs.Any(i => i.Length == 0) || !SubgraphInstance.IsFlat(body)
            || body.Input.Count != node.Inputs.Count || body.Output.Count != node.Outputs.Count)
        {
            return null;
        }

        var scanOutputs = node.Outputs.Count - states;
        var inputAxes = new int[scanInputs];
        int? steps = null;
        for (var j = 0; j < scanInputs; j++)
        {
            var shape = graph.GetValueInfo(node.Inputs[states + j])?.Shape ?? graph.GetInitializer(node.Inputs[states + j])?.Shape;
            if (shape is null)
            {
                return null;
            }

            var axis = Axis(node.GetInts("scan_input_axes"), j, shape.Rank);
            if (axis is null || shape[axis.Value].Value is not { } length || (steps is not null && steps != length))
            {
                return null;
            }

            inputAxes[j] = axis.Value;
            steps = (int)length;
        }

        if (steps is not > 0 || (long)steps.Value * body.Node.Count > MaxCopiedNodes)
        {
            return null;
        }

        var inputDirections = node.GetInts("scan_input_directions");
        var outputDirections = node.GetInts("scan_output_directions");
        var outputAxes = node.GetInts("scan_output_axes");
        var instance = new SubgraphInstance(graph);
        var label = node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? "scan";
        var nodes = new List<Node>();
        var state = node.Inputs.Take(states).ToList();
        var perStep = Enumerable.Range(0, scanOutputs).Select(_ => new List<string>()).ToArray();
        for (var i = 0; i < steps; i++)
        {
            var stem = $"{label}/{i}/";
            var bindings = new List<string>(state);
            for (var j = 0; j < scanInputs; j++)
            {
                var index = Direction(inputDirections, j) == 0 ? i : steps.Value - 1 - i;
                var indexName = instance.Fresh(stem + "index" + j);
                graph.SetInitializer(Tensor.FromInt64s(indexName, [], [index]));
                var slice = instance.Fresh(stem + "slice" + j);
                var gather = new Node("Gather", [node.Inputs[states + j], indexName], [slice], instance.Fresh(stem + "gather" + j));
                gather.Attributes.Add(NodeAttribute.Of("axis", (long)inputAxes[j]));
                nodes.Add(gather);
                bindings.Add(slice);
            }

            var (copied, outputs) = instance.Instantiate(graph, body, bindings, stem);
            nodes.AddRange(copied);
            state = outputs.Take(states).ToList();
            for (var k = 0; k < scanOutputs; k++)
            {
                perStep[k].Add(outputs[states + k]);
            }
        }

        for (var s = 0; s < states; s++)
        {
            if (node.Outputs[s].Length > 0)
            {
                nodes.Add(new Node("Identity", [state[s]], [node.Outputs[s]], instance.Fresh($"{label}/state{s}")));
            }
        }

        for (var k = 0; k < scanOutputs; k++)
        {
            if (node.Outputs[states + k].Length == 0)
            {
                continue;
            }

            // The axis counts in the stacked output's rank, one more than a per-iteration output's (unknown here).
            var axis = outputAxes is { } axes && k < axes.Length ? axes[k] : 0;
            if (axis < 0)
            {
                return null;
            }

            var parts = Direction(outputDirections, k) == 0 ? perStep[k] : Enumerable.Reverse(perStep[k]).ToList();
            var stacked = new List<string>();
            foreach (var part in parts)
            {
                var name = instance.Fresh($"{label}/out{k}/{stacked.Count}");
                nodes.Add(Unsqueeze(graph, instance, part, name, axis));
                stacked.Add(name);
            }

            var concat = new Node("Concat", stacked, [node.Outputs[states + k]], instance.Fresh($"{label}/concat{k}"));
            concat.Attributes.Add(NodeAttribute.Of("axis", axis));
            nodes.Add(concat);
        }

        return (nodes, steps.Value);
    }

    /// <summary>Unsqueeze in the model's opset: axes an attribute before 13, an input from 13.</summary>
    private static Node Unsqueeze(ModelGraph graph, SubgraphInstance instance, string input, string output, long axis)
    {
        if (graph.DefaultOpset < 13)
        {
            var node = new Node("Unsqueeze", [input], [output], instance.Fresh(output + "/unsqueeze"));
            node.Attributes.Add(NodeAttribute.Of("axes", new[] { axis }));
            return node;
        }

        var axesName = instance.Fresh(output + "/axes");
        graph.SetInitializer(Tensor.FromInt64s(axesName, [1], [axis]));
        return new Node("Unsqueeze", [input, axesName], [output], instance.Fresh(output + "/unsqueeze"));
    }

    private static int? Axis(long[]? axes, int j, int rank)
    {
        var axis = axes is not null && j < axes.Length ? axes[j] : 0;
        axis = axis < 0 ? axis + rank : axis;
        return axis >= 0 && axis < rank ? (int)axis : null;
    }

    private static long Direction(long[]? directions, int j) => directions is not null && j < directions.Length ? directions[j] : 0;
}
