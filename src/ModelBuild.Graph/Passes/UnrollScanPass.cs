namespace ModelBuild.Graph.Passes;

/// <summary>
/// Unrolls an ONNX <c>Scan</c> (opset ≥ 9) whose iteration count is known at build time (the scan inputs' scanned
/// dims are static): per iteration, each scan input's slice is a <c>Gather</c> of one index on its scan axis, the body
/// is copied (<see cref="SubgraphInstance"/>) with its state inputs bound to the previous iteration's state outputs,
/// and each scan output is the <c>Concat</c> of the iterations' outputs, each given the scan axis by
/// <c>Unsqueeze</c> (in reverse order for scan_output_directions = 1). The final states are copied to the Scan's
/// first outputs by <c>Identity</c>. An opset-8 Scan (batched on axis 0, scanned on axis 1) is unrolled per batch
/// item of a static batch and its results stacked on axis 0. Left alone (the planner refuses it): a sequence_lens
/// input, an unknown or zero iteration count, a body holding subgraphs, more than <see cref="MaxCopiedNodes"/> nodes.
/// </summary>
public sealed class UnrollScanPass : IGraphPass
{
    /// <summary>Iterations × body nodes (at least 1 per iteration) beyond which the loop is not unrolled.</summary>
    public const int MaxCopiedNodes = 4096;

    /// <inheritdoc/>
    public string Name => "unroll-scan";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
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
        // Opset 8: inputs are sequence_lens, states, scan inputs, all batched on axis 0 and scanned on axis 1.
        var batched = graph.DefaultOpset < 9;
        var first = batched ? 1 : 0;
        var scanInputs = (int)node.GetInt("num_scan_inputs", -1);
        var body = SubgraphInstance.Decode(node, "body");
        var states = node.Inputs.Count - first - scanInputs;
        if (body is null || scanInputs <= 0 || states < 0 || node.Inputs.Skip(first).Any(i => i.Length == 0)
            || (batched && node.Inputs[0].Length > 0) || !SubgraphInstance.IsFlat(body)
            || body.Input.Count != states + scanInputs || body.Output.Count != node.Outputs.Count)
        {
            return null;
        }

        var scanOutputs = node.Outputs.Count - states;
        var inputAxes = new int[scanInputs];
        int? steps = null, batch = batched ? null : 1;
        for (var j = 0; j < scanInputs; j++)
        {
            var shape = ShapeOf(graph, node.Inputs[first + states + j]);
            var axis = shape is null ? null : batched ? (shape.Rank > 1 ? 1 : null) : Axis(node.GetInts("scan_input_axes"), j, shape.Rank);
            if (axis is null || shape![axis.Value].Value is not { } length || length > MaxCopiedNodes || (steps is not null && steps != length)
                || (batched && (shape[0].Value is not { } size || size > MaxCopiedNodes || (batch is not null && batch != size))))
            {
                return null;
            }

            inputAxes[j] = batched ? 0 : axis.Value; // opset 8 slices the batch item first, which leaves the scan axis at 0
            steps = (int)length;
            batch = batched ? (int)shape[0].Value!.Value : 1;
        }

        if (steps is not > 0 || batch is not > 0 || (long)steps.Value * batch.Value * Math.Max(1, body.Node.Count) > MaxCopiedNodes)
        {
            return null;
        }

        var inputDirections = node.GetInts(batched ? "directions" : "scan_input_directions");
        var outputDirections = batched ? null : node.GetInts("scan_output_directions");
        var outputAxes = batched ? null : node.GetInts("scan_output_axes");
        if (outputAxes is not null && outputAxes.Any(a => a < 0))
        {
            return null; // the axis counts in the stacked output's rank, unknown here
        }

        var b = new Builder(graph, new SubgraphInstance(graph), node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? "scan");
        var finalStates = Enumerable.Range(0, states).Select(_ => new List<string>()).ToArray();
        var stackedOutputs = Enumerable.Range(0, scanOutputs).Select(_ => new List<string>()).ToArray();
        for (var item = 0; item < batch; item++)
        {
            var stem = batched ? $"{b.Label}/b{item}/" : $"{b.Label}/";
            var state = node.Inputs.Skip(first).Take(states).Select(s => batched ? b.Gather(s, item, 0, stem + "state") : s).ToList();
            var sources = node.Inputs.Skip(first + states).Select(x => batched ? b.Gather(x, item, 0, stem + "input") : x).ToList();
            var perStep = Enumerable.Range(0, scanOutputs).Select(_ => new List<string>()).ToArray();
            for (var i = 0; i < steps; i++)
            {
                var bindings = new List<string>(state);
                for (var j = 0; j < scanInputs; j++)
                {
                    var index = Direction(inputDirections, j) == 0 ? i : steps.Value - 1 - i;
                    bindings.Add(b.Gather(sources[j], index, inputAxes[j], $"{stem}{i}/slice"));
                }

                var (copied, outputs) = b.Instance.Instantiate(graph, body, bindings, $"{stem}{i}/");
                b.Nodes.AddRange(copied);
                state = outputs.Take(states).ToList();
                for (var k = 0; k < scanOutputs; k++)
                {
                    perStep[k].Add(outputs[states + k]);
                }
            }

            for (var s = 0; s < states; s++)
            {
                finalStates[s].Add(state[s]);
            }

            for (var k = 0; k < scanOutputs; k++)
            {
                if (node.Outputs[states + k].Length == 0)
                {
                    continue;
                }

                var axis = outputAxes is { } axes && k < axes.Length ? axes[k] : 0;
                var parts = Direction(outputDirections, k) == 0 ? perStep[k] : Enumerable.Reverse(perStep[k]).ToList();
                stackedOutputs[k].Add(batched ? b.Stack(parts, 0, b.Instance.Fresh($"{stem}out{k}")) : b.Stack(parts, axis, node.Outputs[states + k]));
            }
        }

        for (var s = 0; s < states; s++)
        {
            if (node.Outputs[s].Length > 0)
            {
                if (batched)
                {
                    b.Stack(finalStates[s], 0, node.Outputs[s]);
                }
                else
                {
                    b.Nodes.Add(new Node("Identity", [finalStates[s][0]], [node.Outputs[s]], b.Instance.Fresh($"{b.Label}/state{s}")));
                }
            }
        }

        if (batched)
        {
            for (var k = 0; k < scanOutputs; k++)
            {
                if (node.Outputs[states + k].Length > 0)
                {
                    b.Stack(stackedOutputs[k], 0, node.Outputs[states + k]);
                }
            }
        }

        return (b.Nodes, steps.Value);
    }

    private static TensorShape? ShapeOf(ModelGraph graph, string name) => graph.GetValueInfo(name)?.Shape ?? graph.GetInitializer(name)?.Shape;

    /// <summary>Emits the unrolled nodes and the constants they read.</summary>
    private sealed class Builder(ModelGraph graph, SubgraphInstance instance, string label)
    {
        public SubgraphInstance Instance { get; } = instance;

        public string Label { get; } = label;

        public List<Node> Nodes { get; } = new();

        /// <summary><c>x</c> at <paramref name="index"/> on <paramref name="axis"/>, the axis removed.</summary>
        public string Gather(string x, int index, int axis, string stem)
        {
            var indexName = Instance.Fresh(stem + "/index");
            graph.SetInitializer(Tensor.FromInt64s(indexName, [], [index]));
            var output = Instance.Fresh(stem);
            var gather = new Node("Gather", [x, indexName], [output], Instance.Fresh(stem + "/gather"));
            gather.Attributes.Add(NodeAttribute.Of("axis", (long)axis));
            Nodes.Add(gather);
            return output;
        }

        /// <summary>Stacks <paramref name="parts"/> on a new <paramref name="axis"/> into <paramref name="output"/>.</summary>
        public string Stack(List<string> parts, long axis, string output)
        {
            var stacked = new List<string>();
            foreach (var part in parts)
            {
                var name = Instance.Fresh($"{output}/{stacked.Count}");
                Nodes.Add(Unsqueeze(graph, Instance, part, name, axis));
                stacked.Add(name);
            }

            var concat = new Node("Concat", stacked, [output], Instance.Fresh(output + "/concat"));
            concat.Attributes.Add(NodeAttribute.Of("axis", axis));
            Nodes.Add(concat);
            return output;
        }
    }

    /// <summary>Unsqueeze in the model's opset: axes an attribute before 13, an input from 13.</summary>
    internal static Node Unsqueeze(ModelGraph graph, SubgraphInstance instance, string input, string output, long axis)
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
