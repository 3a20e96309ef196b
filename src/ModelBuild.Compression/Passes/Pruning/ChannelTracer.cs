using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>
/// Follows a layer's output channels through the graph to the layers that read them, and cuts every tensor on the
/// way when channels are removed. The state along the walk is <c>owner</c>: for each index of the value's axis 1,
/// the pruned layer's channel it carries (−1 for features from elsewhere, e.g. another Concat input).
/// </summary>
/// <remarks>
/// Followed: unary element-wise ops and pooling, BatchNormalization (its four parameters are cut), Flatten and
/// Reshape to [N, C·H·W] (a channel is a contiguous block of H·W features), Concat on axis 1 (offsets), depthwise
/// Conv (groups and filters are cut and the walk goes on), and binary element-wise ops (Add, Sub, Mul, Div, Max,
/// Min, Pow) whose other operand is a scalar or per-channel constant (cut) or a value carrying the same channels
/// from the same walk — hard swish exported as <c>Mul(x, HardSigmoid(x))</c> or <c>x · Clip(x + 3, 0, 6) / 6</c>,
/// where the walk continues from the Mul once both of its operands have been reached. Terminal readers: Gemm/MatMul
/// (input rows or columns cut) and Conv with group 1 (input channels cut). Anything else, a join whose other operand
/// never arrives (a residual Add with another layer's output), or reaching a graph output makes the layer unprunable
/// and nothing is changed.
/// </remarks>
internal sealed class ChannelTracer(ModelGraph graph, bool apply, Func<int, bool> kept)
{
    private static readonly HashSet<string> s_passThrough = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus",
        "Dropout", "Identity", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool",
    };

    private static readonly HashSet<string> s_binary = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow" };

    // Binary nodes reached through one computed operand, waiting for the other; and those already walked past.
    private readonly Dictionary<Node, int[]> _waiting = new();
    private readonly HashSet<Node> _joined = new();

    /// <summary>Terminal readers reached: the node, per input feature the owning channel, and the weight's input axis.</summary>
    public List<(Node Node, int[] Owner, int Axis)> Readers { get; } = new();

    /// <summary>Why the walk failed, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Walks from <paramref name="value"/>, whose axis 1 carries <paramref name="owner"/>; false when unsupported.</summary>
    public bool Walk(string value, int[] owner)
    {
        if (!Follow(value, owner))
        {
            return false;
        }

        return _waiting.Count == 0
            || Fail($"{_waiting.Keys.First()} combines these channels with a value computed elsewhere (a residual or another layer's output)");
    }

    private bool Follow(string value, int[] owner)
    {
        if (graph.IsGraphOutput(value))
        {
            return Fail($"'{value}' is a graph output");
        }

        foreach (var node in graph.Consumers(value))
        {
            if (s_binary.Contains(node.OpType) && node.IsDefaultDomain)
            {
                if (!Binary(node, value, owner))
                {
                    return false;
                }

                continue;
            }

            if ((node.Inputs.IndexOf(value) != 0 || node.Inputs.Skip(1).Contains(value)) && node.OpType != "Concat")
            {
                return Fail($"{node} reads '{value}' as its input {node.Inputs.LastIndexOf(value)}, not as the data input whose channels the tracer follows");
            }

            if (!Visit(node, value, owner))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An element-wise Add/Sub/Mul/Div/Max/Min/Pow reached through <paramref name="value"/>.</summary>
    private bool Binary(Node node, string value, int[] owner)
    {
        if (node.Inputs.Count != 2)
        {
            return Fail($"{node} has {node.Inputs.Count} operands");
        }

        if (_joined.Contains(node))
        {
            return Fail($"{node} is reached twice with the walk already past it");
        }

        var rank = graph.GetValueInfo(node.Outputs[0])?.Shape?.Rank ?? 0;
        for (var i = 0; i < node.Inputs.Count; i++)
        {
            var other = node.Inputs[i];
            if (other == value)
            {
                continue;
            }

            if (graph.GetInitializer(other) is { } constant)
            {
                if (!Broadcast(node, i, constant, rank, owner))
                {
                    return false;
                }

                continue;
            }

            // A computed operand: the walk goes on only once it has arrived carrying the same channels.
            if (!_waiting.TryGetValue(node, out var first))
            {
                _waiting[node] = owner;
                return true;
            }

            if (!first.SequenceEqual(owner))
            {
                return Fail($"{node} combines operands that carry different channels");
            }

            _waiting.Remove(node);
        }

        _joined.Add(node);
        return Follow(node.Outputs[0], owner);
    }

    /// <summary>A constant operand of a binary op: a scalar passes; one value per channel (numpy broadcasting) is cut.</summary>
    private bool Broadcast(Node node, int input, Tensor constant, int rank, int[] owner)
    {
        if (constant.ElementCount == 1)
        {
            return true;
        }

        // Right-aligned against the output's rank, the output's channel axis 1 is the constant's axis rank_c − (rank − 1).
        var axis = constant.Dims.Length - (rank - 1);
        var perChannel = rank >= 2 && axis >= 0 && constant.Dims[axis] == owner.Length
            && constant.Dims.Where((d, k) => k != axis).All(d => d == 1);
        return perChannel ? Cut(node, input, axis, owner) : Fail($"{node}'s constant '{constant.Name}' is neither a scalar nor one value per channel");
    }

    private bool Visit(Node node, string value, int[] owner)
    {
        switch (node.OpType)
        {
            case var op when s_passThrough.Contains(op) && (op != "PRelu" || Cut(node, 1, 0, owner, optional: true)):
                return Follow(node.Outputs[0], owner);
            case "BatchNormalization":
                return Enumerable.Range(1, 4).All(i => Cut(node, i, 0, owner)) && Follow(node.Outputs[0], owner);
            case "Flatten" when node.GetInt("axis", 1) == 1:
            case "Reshape":
                return Flatten(node, value, owner);
            case "Concat":
                return Concat(node, value, owner);
            case "Gemm" when node.GetInt("transA", 0) == 0:
                Readers.Add((node, owner, node.GetInt("transB", 0) == 1 ? 1 : 0));
                return Cut(node, 1, Readers[^1].Axis, owner);
            case "MatMul" when Rank(node.Inputs[1]) == 2:
                Readers.Add((node, owner, 0));
                return Cut(node, 1, 0, owner);
            case "Conv" when node.GetInt("group", 1) == 1:
                Readers.Add((node, owner, 1));
                return Cut(node, 1, 1, owner);
            case "Conv" when node.GetInt("group", 1) == owner.Length:
                return Depthwise(node, owner);
            default:
                return Fail($"{node} cannot follow a change of its input channels");
        }
    }

    private bool Flatten(Node node, string value, int[] owner)
    {
        var shape = graph.GetValueInfo(value)?.Shape;
        if (shape is null || shape.Rank < 2 || Enumerable.Range(2, shape.Rank - 2).Any(i => !shape[i].IsKnown))
        {
            return Fail($"the shape of '{value}' before {node} is unknown");
        }

        var block = (int)Enumerable.Range(2, shape.Rank - 2).Aggregate(1L, (a, i) => a * shape[i].Value!.Value);
        var outShape = graph.GetValueInfo(node.Outputs[0])?.Shape;
        if (outShape is null || outShape.Rank != 2)
        {
            return Fail($"{node} does not flatten to [N, features]");
        }

        var flat = new int[owner.Length * block];
        for (var i = 0; i < flat.Length; i++)
        {
            flat[i] = owner[i / block];
        }

        if (node.OpType == "Reshape")
        {
            if (graph.GetInitializer(node.Inputs[1]) is not { } target)
            {
                return Fail($"{node} has a computed target shape");
            }

            var dims = target.ToInt64s();
            var newCount = flat.Count(o => o < 0 || kept(o));
            if (apply)
            {
                var updated = dims.Select(d => d == flat.Length ? newCount : d).ToArray();
                graph.SetInitializer(Tensor.FromInt64s(target.Name, target.Dims, updated));
            }
        }

        return Follow(node.Outputs[0], flat);
    }

    private bool Concat(Node node, string value, int[] owner)
    {
        var rank = graph.GetValueInfo(node.Outputs[0])?.Shape?.Rank ?? 0;
        var axis = node.GetInt("axis", 1);
        if (rank < 2 || (axis != 1 && axis != 1 - rank))
        {
            return Fail($"{node} does not concatenate along the channel axis");
        }

        var parts = new List<int>();
        foreach (var input in node.Inputs)
        {
            var inputOwner = input == value
                ? owner
                : Enumerable.Repeat(-1, (int)(graph.GetValueInfo(input)?.Shape?[1].Value ?? -1)).ToArray();
            if (inputOwner.Length == 0)
            {
                return Fail($"the channel count of '{input}' is unknown");
            }

            parts.AddRange(inputOwner);
        }

        return Follow(node.Outputs[0], parts.ToArray());
    }

    private bool Depthwise(Node node, int[] owner)
    {
        var weight = graph.GetInitializer(node.Inputs[1]);
        if (weight is null || weight.Dims[1] != 1)
        {
            return Fail($"{node} is grouped but not depthwise");
        }

        var multiplier = (int)weight.Dims[0] / owner.Length;
        var outOwner = new int[owner.Length * multiplier];
        for (var i = 0; i < outOwner.Length; i++)
        {
            outOwner[i] = owner[i / multiplier];
        }

        if (!Cut(node, 1, 0, outOwner) || !Cut(node, 2, 0, outOwner, optional: true))
        {
            return false;
        }

        if (apply)
        {
            node.SetAttribute(NodeAttribute.Of("group", (long)owner.Count(o => o < 0 || kept(o))));
        }

        return Follow(node.Outputs[0], outOwner);
    }

    /// <summary>Cuts axis <paramref name="axis"/> of the node's initializer input <paramref name="input"/> to the kept indices.</summary>
    private bool Cut(Node node, int input, int axis, int[] owner, bool optional = false)
    {
        if (node.InputOrNull(input) is not { } name)
        {
            return optional || Fail($"{node} has no input {input}");
        }

        if (graph.GetInitializer(name) is not { DataType: DataType.Float } tensor || tensor.Dims.Length <= axis || tensor.Dims[axis] != owner.Length)
        {
            return Fail($"{node}'s input '{name}' is not a float weight with {owner.Length} entries on axis {axis}");
        }

        if (apply)
        {
            graph.SetInitializer(TensorCut.Keep(tensor, axis, Enumerable.Range(0, owner.Length).Where(i => owner[i] < 0 || kept(owner[i])).ToArray()));
        }

        return true;
    }

    private int Rank(string name) => graph.GetInitializer(name)?.Dims.Length ?? -1;

    private bool Fail(string reason)
    {
        Failure ??= reason;
        return false;
    }
}
