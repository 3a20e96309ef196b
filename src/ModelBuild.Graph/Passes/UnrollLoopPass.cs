namespace ModelBuild.Graph.Passes;

/// <summary>
/// Unrolls an ONNX <c>Loop</c> whose trip count is a constant and that cannot stop early: the condition input is
/// absent or a constant true, and the body passes its condition input straight through (or outputs a constant true).
/// Each iteration copies the body (<see cref="SubgraphInstance"/>) with iteration_num bound to a constant, the
/// condition to true and the loop-carried inputs to the previous iteration's outputs; scan outputs are stacked on a
/// new axis 0 (<c>Unsqueeze</c> + <c>Concat</c>). Left alone (the planner refuses it): a computed trip count or
/// condition, a body that may stop early or holds subgraphs, a zero trip count, more than
/// <see cref="UnrollScanPass.MaxCopiedNodes"/> nodes unrolled.
/// </summary>
public sealed class UnrollLoopPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "unroll-loop";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Loop" && n.IsDefaultDomain).ToList())
        {
            if (Unroll(graph, node) is { } nodes)
            {
                graph.ReplaceNode(node, nodes);
                notes.Add($"{Name}: Loop '{node.Name}' unrolled");
            }
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static List<Node>? Unroll(ModelGraph graph, Node node)
    {
        var body = SubgraphInstance.Decode(node, "body");
        var carried = node.Inputs.Count - 2;
        if (body is null || carried < 0 || !SubgraphInstance.IsFlat(body) || body.Input.Count != carried + 2
            || body.Output.Count < carried + 1 || node.Outputs.Count != body.Output.Count - 1
            || node.Inputs.Skip(2).Any(i => i.Length == 0)
            || node.InputOrNull(0) is not { } tripName || graph.GetInitializer(tripName) is not { ElementCount: 1 } trip
            || (node.InputOrNull(1) is { } condName && graph.GetInitializer(condName) is not { ElementCount: 1 })
            || (node.InputOrNull(1) is { } c && graph.GetInitializer(c)!.ToInt64s()[0] == 0) || !NeverStops(body))
        {
            return null;
        }

        var steps = trip.ToInt64s()[0];
        if (steps <= 0 || steps > UnrollScanPass.MaxCopiedNodes || steps * Math.Max(1, body.Node.Count) > UnrollScanPass.MaxCopiedNodes)
        {
            return null;
        }

        var instance = new SubgraphInstance(graph);
        var label = node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? "loop";
        var nodes = new List<Node>();
        var trueName = instance.Fresh(label + "/true");
        graph.SetInitializer(new Tensor(trueName, DataType.Bool, [], [1]));
        var state = node.Inputs.Skip(2).ToList();
        var scanOutputs = body.Output.Count - 1 - carried;
        var perStep = Enumerable.Range(0, scanOutputs).Select(_ => new List<string>()).ToArray();
        for (var i = 0; i < steps; i++)
        {
            var iteration = instance.Fresh($"{label}/{i}/iteration");
            graph.SetInitializer(Tensor.FromInt64s(iteration, [], [i]));
            var (copied, outputs) = instance.Instantiate(graph, body, [iteration, trueName, .. state], $"{label}/{i}/");
            nodes.AddRange(copied);
            state = outputs.Skip(1).Take(carried).ToList();
            for (var k = 0; k < scanOutputs; k++)
            {
                perStep[k].Add(outputs[1 + carried + k]);
            }
        }

        for (var s = 0; s < carried; s++)
        {
            if (node.Outputs[s].Length > 0)
            {
                nodes.Add(new Node("Identity", [state[s]], [node.Outputs[s]], instance.Fresh($"{label}/state{s}")));
            }
        }

        for (var k = 0; k < scanOutputs; k++)
        {
            var output = node.Outputs[carried + k];
            if (output.Length == 0)
            {
                continue;
            }

            var stacked = new List<string>();
            foreach (var part in perStep[k])
            {
                var name = instance.Fresh($"{output}/{stacked.Count}");
                nodes.Add(UnrollScanPass.Unsqueeze(graph, instance, part, name, 0));
                stacked.Add(name);
            }

            var concat = new Node("Concat", stacked, [output], instance.Fresh(output + "/concat"));
            concat.Attributes.Add(NodeAttribute.Of("axis", 0L));
            nodes.Add(concat);
        }

        return nodes;
    }

    /// <summary>Whether the body's condition output is its condition input passed through, or a constant true.</summary>
    private static bool NeverStops(ModelBuild.Onnx.Proto.GraphProto body)
    {
        var condOut = body.Output[0].Name;
        if (condOut == body.Input[1].Name)
        {
            return true;
        }

        var producer = body.Node.FirstOrDefault(n => n.Output.Contains(condOut));
        if (producer is { OpType: "Identity" } identity && identity.Input.Count == 1 && identity.Input[0] == body.Input[1].Name)
        {
            return true;
        }

        var constant = producer is null ? body.Initializer.FirstOrDefault(t => t.Name == condOut) is { } t ? Onnx.OnnxTensors.ToTensor(t, TensorOrigin.Initializer) : null
            : Onnx.ConstantNodes.TryConvert(producer);
        return constant is { ElementCount: 1 } && constant.ToInt64s()[0] != 0;
    }
}
