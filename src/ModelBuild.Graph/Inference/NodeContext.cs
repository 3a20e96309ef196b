namespace ModelBuild.Graph.Inference;

/// <summary>What an inference rule sees of one node: its inputs' types and shapes, constants, and where to put results.</summary>
internal sealed class NodeContext
{
    private readonly IReadOnlyDictionary<string, ValueInfo> _known;
    private readonly ShapeTensorEvaluator _evaluator;

    public NodeContext(ModelGraph graph, Node node, IReadOnlyDictionary<string, ValueInfo> known, ShapeTensorEvaluator evaluator)
    {
        Graph = graph;
        Node = node;
        _known = known;
        _evaluator = evaluator;
        Results = new ValueInfo?[node.Outputs.Count];
    }

    public ModelGraph Graph { get; }

    public Node Node { get; }

    public long Opset => Graph.DefaultOpset;

    public ValueInfo?[] Results { get; }

    public int InputCount => Node.Inputs.Count;

    public bool HasInput(int index) => Node.InputOrNull(index) is not null;

    public ValueInfo? Input(int index) => Node.InputOrNull(index) is { } name ? _known.GetValueOrDefault(name) : null;

    public TensorShape? Shape(int index) => Input(index)?.Shape;

    public DataType Type(int index) => Input(index)?.ElementType ?? DataType.Undefined;

    /// <summary>The constant int64 values of input <paramref name="index"/> (an initializer or a computable shape tensor).</summary>
    public long[]? Constants(int index) =>
        Node.InputOrNull(index) is { } name && _evaluator.Evaluate(name) is { IsConstant: true } v ? v.ToConstants() : null;

    /// <summary>The symbolic value of input <paramref name="index"/> when it is a small integer tensor.</summary>
    public ShapeTensorValue? ShapeValue(int index) => Node.InputOrNull(index) is { } name ? _evaluator.Evaluate(name) : null;

    /// <summary>Sets output <paramref name="index"/> (ignored when the node has no such output).</summary>
    public void Set(int index, DataType type, TensorShape? shape)
    {
        if (index < Results.Length && Node.Outputs[index].Length > 0 && type != DataType.Undefined)
        {
            Results[index] = new ValueInfo(Node.Outputs[index], type, shape);
        }
    }

    /// <summary>An MB3002 error naming this node.</summary>
    public ModelBuildException Fail(string problem) => new(InferenceErrors.InconsistentShapes, null,
        $"Node '{Node.Name}' ({Node.OpType}): {problem}. The model's shapes are inconsistent; check the inputs' shapes or re-export the model.");

    public Dim Unify(Dim a, Dim b, string what) =>
        DimMath.Unify(a, b) ?? throw Fail($"{what} differ ({a} vs {b})");

    /// <summary>Numpy broadcast of several shapes; throws MB3002 when they cannot broadcast.</summary>
    public TensorShape Broadcast(IReadOnlyList<TensorShape> shapes)
    {
        var rank = shapes.Max(s => s.Rank);
        var dims = new Dim[rank];
        for (var i = 0; i < rank; i++)
        {
            Dim result = 1;
            foreach (var s in shapes)
            {
                var j = i - (rank - s.Rank);
                if (j >= 0)
                {
                    result = DimMath.Broadcast(result, s[j])
                        ?? throw Fail($"shapes {string.Join(" and ", shapes)} cannot broadcast");
                }
            }

            dims[i] = result;
        }

        return new TensorShape(dims);
    }

    /// <summary>Normalises an axis; an out-of-range axis is an MB3002 error.</summary>
    public int Axis(long axis, int rank) => DimMath.Axis(axis, rank) ?? throw Fail($"axis {axis} is out of range for rank {rank}");
}
