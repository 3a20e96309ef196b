namespace ModelBuild.Graph.Inference;

/// <summary>
/// Evaluates small int64 tensors that describe shapes (<c>Shape → Gather → Unsqueeze → Concat</c> and the like)
/// without running the model, keeping symbolic dimensions symbolic. Used by shape inference for Reshape targets
/// and by the shape-subgraph folding pass.
/// </summary>
public sealed class ShapeTensorEvaluator
{
    // Shape tensors are tiny; anything longer is data, not a shape, and is not worth tracking.
    private const int MaxElements = 64;

    private readonly ModelGraph _graph;
    private readonly Func<string, TensorShape?> _shapeOf;
    private readonly Dictionary<string, Node> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShapeTensorValue?> _memo = new(StringComparer.Ordinal);

    /// <summary>Creates an evaluator; <paramref name="shapeOf"/> gives the (inferred) shape of any value.</summary>
    public ShapeTensorEvaluator(ModelGraph graph, Func<string, TensorShape?>? shapeOf = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _shapeOf = shapeOf ?? (name => graph.GetValueInfo(name)?.Shape);
        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs.Where(o => o.Length > 0))
            {
                _producers.TryAdd(output, node);
            }
        }
    }

    /// <summary>Evaluates <paramref name="value"/> once, with the graph's current value infos.</summary>
    public static ShapeTensorValue? Evaluate(ModelGraph graph, string value) => new ShapeTensorEvaluator(graph).Evaluate(value);

    /// <summary>The value of <paramref name="value"/>, or null when it is not a computable rank-0/1 integer tensor.</summary>
    public ShapeTensorValue? Evaluate(string value)
    {
        if (_memo.TryGetValue(value, out var known))
        {
            return known;
        }

        _memo[value] = null; // guards against cycles in malformed graphs
        var result = Compute(value);
        _memo[value] = result;
        return result;
    }

    private ShapeTensorValue? Compute(string value)
    {
        if (_graph.GetInitializer(value) is { } t)
        {
            return FromTensor(t);
        }

        if (!_producers.TryGetValue(value, out var node) || !node.IsDefaultDomain)
        {
            return null;
        }

        return node.OpType switch
        {
            "Shape" => ShapeOf(node),
            "Constant" when node.Attribute("value")?.Tensor is { } c => FromTensor(c),
            "Constant" when node.GetInts("value_ints") is { } ints => Vector(ints.Select(ShapeElement.Of)),
            "Constant" when node.Attribute("value_int") is { Kind: AttributeKind.Int } a => new ShapeTensorValue(true, [ShapeElement.Of(a.Int)]),
            "Identity" or "Cast" => Evaluate(node.Inputs[0]),
            "Gather" => Gather(node),
            "Unsqueeze" => Evaluate(node.Inputs[0]) is { IsScalar: true } s ? s with { IsScalar = false } : null,
            "Squeeze" => Evaluate(node.Inputs[0]) is { IsScalar: false, Elements.Count: 1 } v ? v with { IsScalar = true } : null,
            "Concat" => Concat(node),
            "Slice" => Slice(node),
            "Add" or "Sub" or "Mul" or "Div" => Arithmetic(node),
            _ => null,
        };
    }

    private static ShapeTensorValue? FromTensor(Tensor t)
    {
        if (t.Dims.Length > 1 || t.ElementCount > MaxElements || t.DataType is not (DataType.Int64 or DataType.Int32))
        {
            return null;
        }

        return new ShapeTensorValue(t.Dims.Length == 0, t.ToInt64s().Select(ShapeElement.Of).ToList());
    }

    private static ShapeTensorValue Vector(IEnumerable<ShapeElement> elements) => new(false, elements.ToList());

    private ShapeTensorValue? ShapeOf(Node node)
    {
        var input = node.Inputs[0];
        if (_shapeOf(input) is not { } shape)
        {
            return null;
        }

        var rank = shape.Rank;
        var start = Clamp(node.GetInt("start", 0), rank);
        var end = Clamp(node.GetInt("end", rank), rank);
        return Vector(Enumerable.Range(start, Math.Max(0, end - start)).Select(i => ShapeElement.FromDim(shape[i], input, i)));
    }

    private static int Clamp(long axis, int rank) => (int)Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);

    private ShapeTensorValue? Gather(Node node)
    {
        if (node.GetInt("axis", 0) != 0 || Evaluate(node.Inputs[0]) is not { IsScalar: false } data
            || Evaluate(node.Inputs[1]) is not { IsConstant: true } indices)
        {
            return null;
        }

        var picked = new List<ShapeElement>();
        foreach (var index in indices.ToConstants())
        {
            var i = index < 0 ? index + data.Elements.Count : index;
            if (i < 0 || i >= data.Elements.Count)
            {
                return null;
            }

            picked.Add(data.Elements[(int)i]);
        }

        return new ShapeTensorValue(indices.IsScalar, picked);
    }

    private ShapeTensorValue? Concat(Node node)
    {
        var all = new List<ShapeElement>();
        foreach (var input in node.Inputs)
        {
            if (Evaluate(input) is not { IsScalar: false } part)
            {
                return null;
            }

            all.AddRange(part.Elements);
        }

        return all.Count > MaxElements ? null : Vector(all);
    }

    private ShapeTensorValue? Slice(Node node)
    {
        if (Evaluate(node.Inputs[0]) is not { IsScalar: false } data)
        {
            return null;
        }

        long start, end, step = 1;
        if (node.Inputs.Count == 1)
        {
            // Slice-1: starts/ends/axes are attributes.
            if (node.GetInts("starts") is not [var s] || node.GetInts("ends") is not [var e])
            {
                return null;
            }

            (start, end) = (s, e);
        }
        else
        {
            if (ScalarOrSingle(node.InputOrNull(1)) is not { } s || ScalarOrSingle(node.InputOrNull(2)) is not { } e)
            {
                return null;
            }

            (start, end) = (s, e);
            if (node.InputOrNull(3) is { } axesName && ScalarOrSingle(axesName) is not (0 or -1))
            {
                return null;
            }

            if (node.InputOrNull(4) is { } stepName)
            {
                if (ScalarOrSingle(stepName) is not { } st)
                {
                    return null;
                }

                step = st;
            }
        }

        var indices = SliceMath.Indices(data.Elements.Count, start, end, step);
        return indices is null ? null : Vector(indices.Select(i => data.Elements[(int)i]));
    }

    private long? ScalarOrSingle(string? name) =>
        name is not null && Evaluate(name) is { IsConstant: true, Elements.Count: 1 } v ? v.Elements[0].Value : null;

    private ShapeTensorValue? Arithmetic(Node node)
    {
        if (Evaluate(node.Inputs[0]) is not { } a || Evaluate(node.Inputs[1]) is not { } b)
        {
            return null;
        }

        var n = Math.Max(a.Elements.Count, b.Elements.Count);
        if ((a.Elements.Count != n && a.Elements.Count != 1) || (b.Elements.Count != n && b.Elements.Count != 1))
        {
            return null;
        }

        var result = new List<ShapeElement>(n);
        for (var i = 0; i < n; i++)
        {
            var x = a.Elements[a.Elements.Count == 1 ? 0 : i];
            var y = b.Elements[b.Elements.Count == 1 ? 0 : i];
            result.Add(Combine(node.OpType, x, y));
        }

        return new ShapeTensorValue(a.IsScalar && b.IsScalar, result);
    }

    private static ShapeElement Combine(string op, ShapeElement x, ShapeElement y)
    {
        if (x.Value is { } u && y.Value is { } v)
        {
            return op switch
            {
                "Add" => ShapeElement.Of(u + v),
                "Sub" => ShapeElement.Of(u - v),
                "Mul" => ShapeElement.Of(u * v),
                _ => v == 0 ? ShapeElement.Unknown : ShapeElement.Of(u / v),
            };
        }

        // x*1, x/1, x+0 and x-0 keep a symbolic dimension (PyTorch emits these around dynamic flattens).
        var identity = op is "Mul" or "Div" ? 1 : 0;
        if (y.Value == identity)
        {
            return x;
        }

        return op is "Mul" or "Add" && x.Value == identity ? y : ShapeElement.Unknown;
    }
}
