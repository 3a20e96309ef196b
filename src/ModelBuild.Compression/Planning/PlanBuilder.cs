using System.Globalization;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>What the plan is for: names for the generated class and its resource.</summary>
public sealed record PlanTarget(string ClassName, string Namespace, string SourceFile, string ResourceName);

/// <summary>
/// Lowers a simplified, shape-inferred graph to the op list of a <see cref="ModelPlan"/>: one kernel call per
/// node (Relu fused into the Conv/Dense before it), no op at all for Reshape-like nodes (they share their
/// input's buffer), and buffers placed by liveness.
/// </summary>
/// <remarks>
/// Nodes the runtime cannot run are collected, not thrown one by one, so the user sees every unsupported op
/// of the model in one build (MB3003).
/// </remarks>
internal sealed partial class PlanBuilder
{
    private readonly ModelGraph _graph;
    private readonly string _modelPath;
    private readonly IReadOnlyDictionary<string, StoredMatrix> _quantized;
    private readonly BufferAllocator _alloc = new();
    private readonly Dictionary<string, int> _bufferOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<string>> _valuesOf = new();
    private readonly Dictionary<string, int> _lastReader = new(StringComparer.Ordinal);
    private readonly HashSet<Node> _fused = new();
    private readonly HashSet<string> _poisoned = new(StringComparer.Ordinal);
    private readonly List<string> _unsupported = new();
    private readonly List<PlanOp> _ops = new();
    private readonly string? _batchSymbol;
    private readonly int _fixedBatch;
    private int _scratch;
    private int _nodeIndex;

    private PlanBuilder(ModelGraph graph, string modelPath, IReadOnlyDictionary<string, StoredMatrix> quantized)
    {
        _graph = graph;
        _modelPath = modelPath;
        _quantized = quantized;
        (_batchSymbol, _fixedBatch) = FindBatch();
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            foreach (var input in graph.Nodes[i].Inputs)
            {
                _lastReader[input] = i;
            }
        }
    }

    public WeightTable Weights { get; } = new();

    /// <summary>Builds the plan; throws MB3003 listing every node the runtime cannot run.</summary>
    public static (ModelPlan Plan, WeightTable Weights) Build(
        ModelGraph graph, string modelPath, PlanTarget target, IReadOnlyDictionary<string, StoredMatrix> quantized)
    {
        var builder = new PlanBuilder(graph, modelPath, quantized);
        return (builder.Run(target), builder.Weights);
    }

    private ModelPlan Run(PlanTarget target)
    {
        var inputs = new List<PlanTensor>();
        foreach (var input in _graph.Inputs.Where(i => !_graph.IsInitializer(i.Name)))
        {
            var id = _alloc.Declare(Size(input.Name), -1);
            Bind(input.Name, id);
            inputs.Add(new PlanTensor(inputs.Count, input.Name, id, ShapeToken(input.Name), Doc("input", input)));
        }

        for (_nodeIndex = 0; _nodeIndex < _graph.Nodes.Count; _nodeIndex++)
        {
            var node = _graph.Nodes[_nodeIndex];
            if (_fused.Contains(node))
            {
                continue;
            }

            if (!IsKnownOperator(node))
            {
                _unsupported.Add($"{node.OpType} '{node.Name}' (operator not supported)");
                Poison(node);
                continue;
            }

            // A node fed by an unsupported one is not reported again unless its own operator is unknown.
            if (node.Inputs.Any(_poisoned.Contains))
            {
                Poison(node);
                continue;
            }

            try
            {
                Lower(node);
            }
            catch (UnsupportedNodeException e)
            {
                _unsupported.Add($"{node.OpType} '{node.Name}' ({e.Message})");
                Poison(node);
            }
        }

        if (_unsupported.Count > 0)
        {
            throw new ModelBuildException("MB3003", _modelPath,
                $"the generated runtime does not cover {_unsupported.Count} node(s): {string.Join("; ", _unsupported)}.");
        }

        var outputs = BindOutputs(inputs);
        var (buffers, perSample) = _alloc.Assign();
        var plan = new ModelPlan
        {
            ClassName = target.ClassName,
            Namespace = target.Namespace,
            SourceFile = target.SourceFile,
            ResourceName = target.ResourceName,
            BatchSymbol = _batchSymbol,
            FixedBatch = _fixedBatch,
            PerSampleFloats = perSample,
            ScratchFloats = _scratch,
        };
        plan.Buffers.AddRange(buffers);
        plan.Weights.AddRange(Weights.Entries.Select((w, i) => new PlanWeight(i, w.Name, w.Format, w.Dims)));
        plan.Inputs.AddRange(inputs);
        plan.Outputs.AddRange(outputs);
        plan.Ops.AddRange(_ops);
        return plan;
    }

    private List<PlanTensor> BindOutputs(List<PlanTensor> inputs)
    {
        var claimed = new HashSet<int>(inputs.Select(i => i.Buffer));
        var outputs = new List<PlanTensor>();
        _nodeIndex = _graph.Nodes.Count;
        foreach (var output in _graph.Outputs)
        {
            if (!_bufferOf.TryGetValue(output.Name, out var id))
            {
                throw new ModelBuildException("MB3003", _modelPath, $"graph output '{output.Name}' is not computed by any supported node (a constant output?).");
            }

            // An output that is also an input (or another output) needs its own copy: callers get separate spans.
            if (!claimed.Add(id))
            {
                var copy = _alloc.Declare(_alloc.Size(id), _ops.Count);
                _alloc.Use(id, _ops.Count);
                Emit("Copy", output.Name, ("in", N(id)), ("out", N(copy)), ("count", N(_alloc.Size(id))));
                id = copy;
                claimed.Add(id);
            }

            _alloc.Pin(id);
            outputs.Add(new PlanTensor(outputs.Count, output.Name, id, ShapeToken(output.Name), Doc("output", output)));
        }

        return outputs;
    }

    private (string? Symbol, int Fixed) FindBatch()
    {
        var first = _graph.Inputs.Where(i => !_graph.IsInitializer(i.Name)).Select(i => i.Shape).FirstOrDefault();
        if (first is null || first.Rank == 0)
        {
            throw new ModelBuildException("MB3002", _modelPath, "the model's first input has no shape; ModelBuild needs [batch, ...] inputs.");
        }

        return first[0] switch
        {
            { Value: { } n } when n is > 0 and <= 65536 => (null, (int)n),
            { Symbol: { } s } => (s, 0),
            _ => ("N", 0),
        };
    }

    private bool IsBatch(Dim d) => _batchSymbol is null ? d.Value == _fixedBatch : d.Symbol == _batchSymbol || !d.IsKnown;

    /// <summary>The value's shape without its batch dimension.</summary>
    private int[] PerSample(string value)
    {
        var shape = _graph.GetValueInfo(value)?.Shape
            ?? throw new ModelBuildException("MB3002", _modelPath, $"the shape of '{value}' could not be inferred.");
        if (shape.Rank == 0 || !IsBatch(shape[0]))
        {
            throw new UnsupportedNodeException($"'{value}' has shape {shape}; every activation must start with the batch dimension");
        }

        var dims = new int[shape.Rank - 1];
        for (var i = 1; i < shape.Rank; i++)
        {
            dims[i - 1] = shape[i].Value is { } v and <= int.MaxValue ? (int)v
                : throw new ModelBuildException("MB3002", _modelPath, $"'{value}' has shape {shape}; only the batch dimension may be dynamic.");
        }

        return dims;
    }

    private int Size(string value) => checked(PerSample(value).Aggregate(1, (a, d) => checked(a * d)));

    private string ShapeToken(string value) =>
        string.Join(",", PerSample(value).Select(d => N(d)).Prepend(_batchSymbol is null ? N(_fixedBatch) : "N"));

    private string Doc(string kind, ValueInfo info)
    {
        var dims = info.Shape is null ? "?" : "[" + string.Join(", ", info.Shape.Select(d => d.ToString())) + "]";
        var doc = $"ONNX {kind} '{info.Name}', {info.ElementType.OnnxName()} {dims}.";
        return string.IsNullOrWhiteSpace(info.DocString) ? doc : doc + " " + info.DocString.Trim();
    }

    private void Bind(string value, int id)
    {
        _bufferOf[value] = id;
        if (!_valuesOf.TryGetValue(id, out var list))
        {
            _valuesOf[id] = list = new List<string>();
        }

        list.Add(value);
    }

    private void Poison(Node node)
    {
        foreach (var output in node.Outputs)
        {
            _poisoned.Add(output);
        }
    }

    private void Emit(string kind, string node, params (string Key, string Value)[] args) =>
        _ops.Add(new PlanOp(kind, node, args.Select(a => KeyValuePair.Create(a.Key, a.Value)).ToList()));

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(float value) => PlanWriter.Num(value);

    private static string L(IEnumerable<int> values) => PlanWriter.List(values);

    /// <summary>A node the runtime cannot run; the message says why.</summary>
    private sealed class UnsupportedNodeException(string message) : Exception(message);
}
