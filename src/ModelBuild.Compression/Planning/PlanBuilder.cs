using ModelBuild.Compression.Planning.Lowering;
using ModelBuild.Compression.Planning.Lowering.Fusions;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning;

/// <summary>What the plan is for: names for the generated class and its resource.</summary>
public sealed record PlanTarget(string ClassName, string Namespace, string SourceFile, string ResourceName);

/// <summary>
/// Lowers a simplified, shape-inferred graph to a <see cref="ModelPlan"/>: each node through its lowering unit
/// (<see cref="Lowerings"/>) or, for a chain a pattern fusion matched (<see cref="PatternFusions"/>), the whole chain
/// at its last node, then concat elision (<see cref="ConcatInPlace"/>), in-place and view aliasing, then arena slots
/// by liveness.
/// </summary>
/// <remarks>
/// Every node is analysed even after one fails (outputs of a refused node become placeholders), so MB3003 lists
/// every node of the model the generated runtime cannot run, in one build.
/// </remarks>
internal static class PlanBuilder
{
    /// <summary>The key of MB3003's <see cref="Exception.Data"/> entry: the blockers, one string each.</summary>
    public const string BlockersKey = "ModelBuild.Blockers";

    /// <summary>Builds the plan; throws MB3003 listing every node the runtime cannot run.</summary>
    public static (ModelPlan Plan, WeightTable Weights) Build(
        ModelGraph graph, string modelPath, PlanTarget target, IReadOnlyDictionary<string, StoredMatrix> stored,
        IReadOnlyDictionary<string, Passes.Activations.ActivationQuantization>? activationQuant = null)
    {
        TensorSizeLimit.Check(graph, modelPath);
        var c = new LoweringContext(graph, stored) { ModelPath = modelPath };
        c = activationQuant is null ? c : new LoweringContext(graph, stored) { ModelPath = modelPath, ActivationQuant = activationQuant };

        var blockers = new List<string>();
        var inputs = DeclareInputs(c, modelPath, blockers);
        var fused = PatternFusions.Apply(c);
        foreach (var node in graph.Nodes)
        {
            if (c.IsFused(node))
            {
                continue;
            }

            c.Current = node;
            var unit = fused.GetValueOrDefault(node) ?? (node.IsDefaultDomain ? Lowerings.For(node.OpType) : null);
            try
            {
                if (unit is null)
                {
                    throw new UnsupportedNodeException(!node.IsDefaultDomain ? $"domain '{node.Domain}' is not supported" : UncoveredReason(node.OpType));
                }

                unit.Lower(c, node);
            }
            catch (Exception e) when (e is UnsupportedNodeException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
            {
                // Index errors are the kind "a node lacks an input or attribute its operator needs", overflow the kind "an
                // axis or size beyond 32 bits" (lowerings narrow with checked casts): blockers, never a crash.
                var reason = e switch
                {
                    UnsupportedNodeException => e.Message,
                    OverflowException => "an attribute or constant operand (axis, size) is out of range",
                    _ => "an input or attribute the operator needs is missing",
                };
                // A covered operator fed by a refused node fails for want of its input's type or shape, not on its own
                // account: listing it would send the user after the wrong node.
                if (unit is null || !node.Inputs.Any(c.IsPlaceholder))
                {
                    blockers.Add($"{node.OpType} '{c.NodeLabel(node)}' ({reason})");
                }

                Placeholders(c, node);
            }
        }

        var outputs = BindOutputs(c, inputs, blockers);
        if (blockers.Count > 0)
        {
            var e = new ModelBuildException("MB3003", modelPath,
                $"the generated runtime does not cover {blockers.Count} node(s): {string.Join("; ", blockers)}.");
            e.Data[BlockersKey] = blockers.ToArray(); // node names may hold "; ", so readers need the list, not the text
            throw e;
        }

        ConcatInPlace.Apply(c);
        RunInPlace(c);
        var slots = c.Slots.Assign(reserveInputs: inputs.Count == 1);
        var plan = new ModelPlan
        {
            ClassName = target.ClassName,
            Namespace = target.Namespace,
            SourceFile = target.SourceFile,
            ResourceName = target.ResourceName,
        };
        for (var i = 0; i < c.Values.Count; i++)
        {
            var decl = c.Values[i];
            plan.Values.Add(c.SlotIdOf(i) is { } slotId ? decl with { Slot = slots[slotId] } : decl);
        }

        plan.ValueShapes.AddRange(c.ValueShapes);
        plan.Weights.AddRange(c.Weights.Entries.Select((w, i) => new PlanWeight(i, w.Name, w.Format, w.Dims)));
        plan.Inputs.AddRange(inputs);
        plan.Outputs.AddRange(outputs);
        plan.Ops.AddRange(c.Ops);
        return (plan, c.Weights);
    }

    private static List<PlanTensor> DeclareInputs(LoweringContext c, string modelPath, List<string> blockers)
    {
        var inputs = new List<PlanTensor>();
        foreach (var input in c.Graph.Inputs.Where(i => !c.Graph.IsInitializer(i.Name)))
        {
            if (input.Shape is null)
            {
                throw new ModelBuildException("MB3002", modelPath,
                    $"the input '{input.Name}' has no shape (not even a rank). Pin it with InputShapes=\"{input.Name}=1,3,224,224\" on the OnnxModel item or the manifest's \"inputs\" section.");
            }

            if (input.Shape.Aggregate(1.0, (p, d) => p * (d.Value ?? 1)) > int.MaxValue)
            {
                throw new ModelBuildException("MB3002", modelPath,
                    $"the input '{input.Name}' has shape {input.Shape}: more than {int.MaxValue} elements, beyond what one tensor can hold here.");
            }

            try
            {
                var id = c.DeclareInput(input.Name);
                inputs.Add(new PlanTensor(inputs.Count, input.Name, id, c.Values[id].Type, Dims(input.Shape), Doc(input)));
            }
            catch (Exception e) when (e is UnsupportedNodeException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
            {
                // Index errors are the kind "a node lacks an input or attribute its operator needs", overflow the kind "an
                // axis or size beyond 32 bits" (lowerings narrow with checked casts): blockers, never a crash.
                var reason = e switch
                {
                    UnsupportedNodeException => e.Message,
                    OverflowException => "an attribute or constant operand (axis, size) is out of range",
                    _ => "an input or attribute the operator needs is missing",
                };
                blockers.Add($"graph input '{input.Name}' ({e.Message})");
            }
        }

        return inputs;
    }

    private static List<PlanTensor> BindOutputs(LoweringContext c, List<PlanTensor> inputs, List<string> blockers)
    {
        var claimed = new HashSet<int>(inputs.Select(i => i.Value));
        var outputs = new List<PlanTensor>();
        c.Current = null;
        foreach (var output in c.Graph.Outputs)
        {
            if (!c.TryGetValue(output.Name, out var id) || !c.Values[id].IsActivation)
            {
                blockers.Add($"graph output '{output.Name}' (not computed by any node: a constant output?)");
                continue;
            }

            // An output that is also an input (or another output) gets its own copy: callers receive separate tensors.
            if (!claimed.Add(id))
            {
                var copy = c.WriteTemp(output.Name, c.Values[id].Type);
                c.ReadId(id);
                c.Ops.Add(new IdentityOp(id, copy) { Node = "(output copy) " + output.Name });
                id = copy;
                claimed.Add(id);
            }

            c.Slots.Pin(c.SlotIdOf(id)!.Value);
            var shape = Merge(c.ShapeOf(output.Name), output.Shape);
            outputs.Add(new PlanTensor(outputs.Count, output.Name, id, c.Values[id].Type, Dims(shape), Doc(output)));
        }

        return outputs;
    }

    /// <summary>Runs element-wise ops in place when nothing reads their input afterwards.</summary>
    private static void RunInPlace(LoweringContext c)
    {
        for (var i = 0; i < c.Ops.Count; i++)
        {
            if (c.Ops[i] is IInPlaceOp op && op.X != op.Y && c.SlotIdOf(op.X) is { } x && c.SlotIdOf(op.Y) is { } y
                && c.Slots.LastRead(x) == i && c.Values[op.X].Type == c.Values[op.Y].Type)
            {
                c.Slots.Join(x, y);
            }
        }
    }

    /// <summary>Binds a refused node's outputs so that the nodes after it are still analysed.</summary>
    private static void Placeholders(LoweringContext c, Node node)
    {
        foreach (var output in node.Outputs.Where(o => o.Length > 0 && !c.TryGetValue(o, out _)))
        {
            try
            {
                c.Write(output);
            }
            catch (UnsupportedNodeException)
            {
                c.BindPlaceholder(output);
            }
        }
    }

    /// <summary>
    /// The inferred shape of a graph output, with dims the file declares as numbers filled in: inference relates the
    /// output's symbols to the input's (the batch stays <c>batch</c>), where exporters often invent fresh names.
    /// </summary>
    private static TensorShape? Merge(TensorShape? inferred, TensorShape? declared)
    {
        if (inferred is null || declared is null || inferred.Rank != declared.Rank)
        {
            return inferred ?? declared;
        }

        return new TensorShape(inferred.Select((d, i) => d.IsKnown || !declared[i].IsKnown ? d : declared[i]));
    }

    private static IReadOnlyList<string> Dims(TensorShape? shape) => shape?.Select(d => d.ToString()).ToList() ?? [];

    /// <summary>The ONNX doc_string of a graph input or output (the generator already prints its name, type and shape).</summary>
    private static string Doc(ValueInfo info) => info.DocString?.Trim() ?? "";

    /// <summary>Why an operator without a lowering is refused; control flow says which forms the graph passes remove.</summary>
    private static string UncoveredReason(string opType) => opType switch
    {
        "If" => "the condition is computed at run time (an If whose condition is a constant once folding has run is replaced by its taken branch; one decided per call is not supported)",
        "Scan" => "the number of iterations is not known at build time, or the Scan is opset 8 (batched) or nests subgraphs (a Scan of static length is unrolled)",
        "Loop" => "the trip count or the condition is computed at run time, or the body may stop early (a Loop of constant trip count that always runs to the end is unrolled)",
        _ => "operator not supported",
    };
}
