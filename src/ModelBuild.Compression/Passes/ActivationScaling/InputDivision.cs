using ModelBuild.Graph;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Passes.ActivationScaling;

/// <summary>
/// Divides what a layer reads by positive per-channel factors, x → x / s, on the axis its weight columns index (the
/// last axis for Gemm/MatMul, axis 1 for Conv). Paired with the layer's weight columns multiplied by s, the layer's
/// output is unchanged in exact arithmetic; AWQ and SmoothQuant use this to move range between activations and weights.
/// </summary>
/// <remarks>
/// The division is folded into the node that computes x when the graph allows it, as both papers do (AWQ into the
/// previous LayerNorm or linear layer, SmoothQuant into the previous LayerNorm): the walk goes back through ops that
/// commute with a positive per-channel factor (Relu, LeakyRelu, PRelu, Identity, Dropout; pooling for a Conv's input,
/// whose channels stay on axis 1; an Add of a per-channel constant, whose constant is divided too) and ends at a Conv,
/// Gemm, MatMul with a constant weight (its output channels divided), BatchNormalization or LayerNormalization (their
/// affine parameters divided). Every value on the way must be read by the next node alone and no weight it changes may
/// be shared or already stored compressed; otherwise nothing is changed there and an explicit <c>Mul</c> by 1/s is
/// inserted before the layer (a graph input, a Flatten between a Conv and a Gemm, a value read by two layers).
/// Arithmetic is float64, rounded to float32 once.
/// </remarks>
internal static class InputDivision
{
    private static readonly HashSet<string> s_elementwise = new(StringComparer.Ordinal) { "Relu", "LeakyRelu", "PRelu", "Identity", "Dropout" };
    private static readonly HashSet<string> s_pooling = new(StringComparer.Ordinal) { "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool" };

    /// <summary>
    /// Multiplies <paramref name="layer"/>'s weight columns by <paramref name="s"/> (per input channel, repeated over a
    /// Conv's kernel taps) and divides its input by s (<see cref="Apply"/>): the model computes the same function.
    /// Returns how the division was done, for the pass notes.
    /// </summary>
    public static string ScaleLayer(CompressionContext context, LayerWeight layer, double[] s, string stem)
    {
        var columns = Algorithms.ActivationScaling.ChannelBlocks.Expand(s, layer.Cols);
        var w = context.GetMatrix(layer);
        context.SetMatrix(layer, w.Select((v, i) => (float)(v * columns[i % layer.Cols])).ToArray());
        WeightRescale.Record(context, layer.Name, columns, null);
        var how = Apply(context, layer, s, stem);
        ModelBuild.Graph.Inference.ShapeInference.Run(context.Graph); // an inserted Mul's output needs its shape before the next layer's walk
        return how;
    }

    /// <summary>
    /// Divides <paramref name="layer"/>'s input by <paramref name="s"/> (one positive factor per input channel) and
    /// returns how, for the pass notes ("folded into Gemm 'fc1' through Relu", or "kept as Mul … because …").
    /// </summary>
    /// <param name="context">The pass context (graph and stored weights).</param>
    /// <param name="layer">A Gemm/MatMul layer, or a Conv with group 1.</param>
    /// <param name="s">Length = the input's channel count (the Gemm's K, the Conv's C).</param>
    /// <param name="stem">Names of inserted values start with it (<c>awq</c>, <c>smoothquant</c>).</param>
    public static string Apply(CompressionContext context, LayerWeight layer, double[] s, string stem)
    {
        var graph = context.Graph;
        var lastAxis = !layer.IsConv;
        var rank = layer.IsConv ? graph.GetInitializer(layer.Name)!.Dims.Length : graph.GetValueInfo(layer.InputValue)?.Shape?.Rank ?? 0;
        var edits = new List<Action>();
        var through = new List<string>();
        var (value, reader) = (layer.InputValue, layer.Node);
        string reason;
        while (true)
        {
            var producer = graph.Producer(value);
            if (producer is null)
            {
                reason = graph.IsInitializer(value) ? "its input is a constant" : $"its input '{value}' is a graph input";
                break;
            }

            if (GraphEdits.SoleConsumer(graph, value) != reader || !producer.IsDefaultDomain || producer.Outputs[0] != value)
            {
                reason = $"'{value}' is read by other nodes too, or is not {GraphEdits.Label(producer)}'s first output";
                break;
            }

            if (PassesThrough(graph, producer, value, lastAxis, s, edits) is { } next)
            {
                through.Add(producer.OpType);
                (value, reader) = (next, producer);
                continue;
            }

            reason = Fold(context, producer, s, lastAxis, graph.GetValueInfo(value)?.Shape?.Rank ?? 0, edits) ?? "";
            if (reason.Length == 0)
            {
                edits.ForEach(edit => edit());
                return $"1/s folded into {GraphEdits.Label(producer)}" + (through.Count > 0 ? $" through {string.Join(", ", through)}" : "");
            }

            break;
        }

        var mul = InsertMul(graph, layer, s, rank, stem);
        return $"1/s kept as {GraphEdits.Label(mul)} before the layer ({reason})";
    }

    /// <summary>The node's data input when <c>op(x / s) = op(x) / s</c> here (after queuing edits of its constants); else null.</summary>
    private static string? PassesThrough(ModelGraph graph, Node node, string value, bool lastAxis, double[] s, List<Action> edits)
    {
        var data = node.Inputs[0];
        if (s_elementwise.Contains(node.OpType) || (!lastAxis && s_pooling.Contains(node.OpType)))
        {
            // PRelu's slope multiplies x itself, so it commutes with the factor whatever its shape.
            return node.Inputs.Skip(1).Contains(data) ? null : data;
        }

        if (node.OpType != "Add" || node.Inputs.Count != 2 || graph.GetValueInfo(value)?.Shape?.Rank is not { } rank)
        {
            return null;
        }

        for (var side = 0; side < 2; side++)
        {
            var (other, constant) = (node.Inputs[side], GraphEdits.FloatInitializer(graph, node.Inputs[1 - side]));
            if (constant is null || graph.IsInitializer(other) || !OnlyUse(graph, constant.Name) || !OnChannelAxis(constant.Dims, rank, lastAxis, s.Length))
            {
                continue;
            }

            edits.Add(() => DivideChannels(graph, constant.Name, s, perChannel: 1));
            return other;
        }

        return null;
    }

    /// <summary>Divides the output channels of <paramref name="producer"/> by s; null when done, else why not.</summary>
    private static string? Fold(CompressionContext context, Node producer, double[] s, bool lastAxis, int rank, List<Action> edits)
    {
        var graph = context.Graph;
        var c = s.Length;
        bool Free(string? name) => name is not null && OnlyUse(graph, name) && !context.Stored.ContainsKey(name);
        string? Optional(int input, long count)
        {
            var name = producer.InputOrNull(input);
            return name is null || (Free(name) && GraphEdits.FloatInitializer(graph, name) is { } t && t.ElementCount == count) ? null : $"its input '{name}' is shared, compressed or not {count} floats";
        }

        switch (producer.OpType)
        {
            case "Conv" when !lastAxis && GraphEdits.FloatInitializer(graph, producer.InputOrNull(1)) is { } w && w.Dims[0] == c:
                if (!Free(w.Name) || Optional(2, c) is not null)
                {
                    return $"{GraphEdits.Label(producer)}'s weight or bias is shared or already compressed";
                }

                edits.Add(() => DivideChannels(graph, w.Name, s, perChannel: (int)(w.ElementCount / c), scaleRecord: true));
                edits.Add(() => WeightRescale.Record(context, w.Name, null, s.Select(f => 1 / f).ToArray()));
                edits.Add(() => DivideBias(graph, producer, 2, s));
                return null;
            case "Gemm" or "MatMul" when lastAxis && GraphEdits.FloatInitializer(graph, producer.InputOrNull(1)) is { Dims.Length: 2 } b:
                var outputsFirst = producer.OpType == "Gemm" && producer.GetInt("transB", 0) != 0;
                if (b.Dims[outputsFirst ? 0 : 1] != c || !Free(b.Name) || graph.IsInitializer(producer.Inputs[0]))
                {
                    return $"{GraphEdits.Label(producer)}'s weight is shared, already compressed or of another width";
                }

                if (producer.InputOrNull(2) is { } biasName
                    && (!Free(biasName) || GraphEdits.FloatInitializer(graph, biasName) is not { } bias || !(bias.ElementCount == c || bias.ElementCount == 1) || (bias.Dims.Length == 2 && bias.Dims[0] != 1)))
                {
                    return $"{GraphEdits.Label(producer)}'s C is shared, compressed or not one value per output";
                }

                edits.Add(() => DivideChannels(graph, b.Name, s, perChannel: outputsFirst ? (int)b.Dims[1] : 1, columns: !outputsFirst, scaleRecord: true));
                edits.Add(() => WeightRescale.Record(context, b.Name, null, s.Select(f => 1 / f).ToArray()));
                edits.Add(() => DivideBias(graph, producer, 2, s));
                return null;
            case "BatchNormalization" when (!lastAxis || rank == 2) && producer.GetInt("training_mode", 0) == 0 && producer.Outputs.Count(o => o.Length > 0) == 1:
                if (Optional(1, c) is not null || Optional(2, c) is not null || producer.InputOrNull(1) is null || producer.InputOrNull(2) is null)
                {
                    return $"{GraphEdits.Label(producer)}'s scale or bias is shared or not per channel";
                }

                edits.Add(() => DivideChannels(graph, producer.Inputs[1], s, perChannel: 1));
                edits.Add(() => DivideChannels(graph, producer.Inputs[2], s, perChannel: 1));
                return null;
            case "LayerNormalization" when lastAxis && (producer.GetInt("axis", -1) == -1 || producer.GetInt("axis", -1) == rank - 1) && producer.Outputs.Count(o => o.Length > 0) == 1:
                if (producer.InputOrNull(1) is null || Optional(1, c) is not null || Optional(2, c) is not null)
                {
                    return $"{GraphEdits.Label(producer)}'s scale or bias is shared or not per channel";
                }

                edits.Add(() => DivideChannels(graph, producer.Inputs[1], s, perChannel: 1));
                edits.Add(() => DivideBias(graph, producer, 2, s));
                return null;
            default:
                return $"it is computed by {GraphEdits.Label(producer)}, which a per-channel factor cannot be folded into";
        }
    }

    /// <summary>True when <paramref name="dims"/> broadcasts against the value as one number per channel (count = channels).</summary>
    private static bool OnChannelAxis(long[] dims, int rank, bool lastAxis, int channels)
    {
        if (dims.Length > rank || dims.Aggregate(1L, (a, d) => a * d) != channels)
        {
            return false;
        }

        var padded = Enumerable.Repeat(1L, rank - dims.Length).Concat(dims).ToArray();
        var axis = lastAxis ? rank - 1 : 1;
        return padded[axis] == channels || channels == 1;
    }

    private static bool OnlyUse(ModelGraph graph, string name) => graph.Consumers(name).Count == 1 && !graph.IsGraphOutput(name);

    /// <summary>
    /// Divides a float initializer laid out channel-major (<paramref name="perChannel"/> values per channel) or, with
    /// <paramref name="columns"/>, a [K, C] matrix by column; with <paramref name="scaleRecord"/> the graph's record of
    /// per-channel factors folded into a weight (pruning divides them out) is kept up to date.
    /// </summary>
    private static void DivideChannels(ModelGraph graph, string name, double[] s, int perChannel, bool columns = false, bool scaleRecord = false)
    {
        var tensor = graph.GetInitializer(name)!;
        var values = tensor.ToDoubles();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] /= s[columns ? i % s.Length : i / perChannel];
        }

        graph.SetInitializer(Tensor.FromFloats(name, tensor.Dims, values.Select(v => (float)v).ToArray()));
        if (scaleRecord)
        {
            var earlier = graph.FoldedChannelScales.GetValueOrDefault(name);
            graph.FoldedChannelScales[name] = s.Select((f, c) => (earlier is { } e && e.Length == s.Length ? e[c] : 1) / f).ToArray();
        }
    }

    /// <summary>Divides input <paramref name="index"/> (a bias of one value per channel, or one value for all) by s.</summary>
    private static void DivideBias(ModelGraph graph, Node node, int index, double[] s)
    {
        if (node.InputOrNull(index) is not { } name)
        {
            return;
        }

        var bias = graph.GetInitializer(name)!;
        if (bias.ElementCount == s.Length)
        {
            DivideChannels(graph, name, s, perChannel: 1);
            return;
        }

        // One value shared by all outputs (a scalar Gemm C): it becomes one value per output.
        var value = bias.ToDoubles()[0];
        graph.SetInitializer(Tensor.FromFloats(name, [s.Length], s.Select(f => (float)(value / f)).ToArray()));
    }

    private static Node InsertMul(ModelGraph graph, LayerWeight layer, double[] s, int rank, string stem)
    {
        var lastAxis = !layer.IsConv;
        var dims = lastAxis || rank < 2 ? new long[] { s.Length } : Enumerable.Range(0, rank).Select(a => a == 1 ? (long)s.Length : 1L).ToArray();
        var factor = graph.UniqueName($"{layer.Name}_{stem}_inverse_scale");
        graph.SetInitializer(Tensor.FromFloats(factor, dims, s.Select(f => (float)(1 / f)).ToArray()));
        var output = graph.UniqueName($"{layer.InputValue}_{stem}");
        var mul = new Node("Mul", [layer.InputValue, factor], [output], graph.UniqueName($"{(layer.Node.Name.Length > 0 ? layer.Node.Name : layer.Name)}_{stem}_mul"));
        graph.Nodes.Insert(graph.Nodes.IndexOf(layer.Node), mul);
        layer.Node.Inputs[0] = output;
        return mul;
    }
}
