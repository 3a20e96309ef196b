using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>One generated model: its seed (the only thing needed to make it again), the model and its input's shape.</summary>
internal sealed record RandomGraph(int Seed, ModelProto Model, int[] InputShape, string Summary);

/// <summary>
/// Builds random valid ONNX graphs (opset 17, float32) from operators the runtime covers, to run differentially
/// against ONNX Runtime: random shapes, numpy broadcasting, constants on either side of an operator, weights shared by
/// several MatMul/Gemm nodes in different orientations, every Gemm C shape ([M,N], [M,1], [1,N], [N], scalar),
/// transposed operands, and a symbolic batch dim in half the graphs. Everything follows from the seed.
/// </summary>
/// <remarks>
/// Each value's concrete dims are tracked (the ones the test feeds), plus which axis, if any, carries the symbolic
/// batch: constants never fix that axis to anything but 1 and no operator contracts or reshapes it, so the model is
/// valid for every batch size, not only the one the test uses.
/// </remarks>
internal sealed class RandomGraphGenerator
{
    private readonly Random _rng;
    private readonly GraphProto _graph = new() { Name = "random" };
    private readonly List<Value> _pool = [];
    private readonly List<(string Name, int Rows, int Cols)> _matrices = [];
    private readonly List<string> _summary = [];
    private int _next;

    private RandomGraphGenerator(int seed) => _rng = new Random(seed);

    /// <summary>A float32 activation: its name, concrete dims and the axis holding the symbolic batch (-1 = none).</summary>
    internal sealed record Value(string Name, int[] Dims, int BatchAxis)
    {
        public int Rank => Dims.Length;
    }

    /// <summary>The graph for <paramref name="seed"/>: the same seed gives the same bytes.</summary>
    public static RandomGraph Generate(int seed)
    {
        var g = new RandomGraphGenerator(seed);
        return g.Build(seed);
    }

    private RandomGraph Build(int seed)
    {
        var symbolic = _rng.Next(2) == 0;
        var rank = 2 + _rng.Next(3);
        var dims = new int[rank];
        dims[0] = 1 + _rng.Next(3);
        for (var i = 1; i < rank; i++)
        {
            dims[i] = 1 + _rng.Next(rank == 4 ? 6 : 8);
        }

        var input = new Value("x", dims, symbolic ? 0 : -1);
        _graph.Input.Add(ValueInfo("x", dims.Select((d, i) => i == 0 && symbolic ? (object)"N" : d).ToArray()));
        _pool.Add(input);

        var steps = 2 + _rng.Next(7);
        for (var i = 0; i < steps; i++)
        {
            var before = _pool.Count;
            for (var attempt = 0; attempt < 8 && _pool.Count == before; attempt++)
            {
                RandomOp.Emit(this);
            }
        }

        // The last value, and sometimes an intermediate one too (it then has consumers and is an output).
        var outputs = new List<Value> { _pool[^1] };
        if (_pool.Count > 2 && _rng.Next(3) == 0)
        {
            outputs.Add(_pool[1 + _rng.Next(_pool.Count - 2)]);
        }

        foreach (var o in outputs.DistinctBy(o => o.Name))
        {
            _graph.Output.Add(ValueInfo(o.Name, o.Dims.Select((d, i) => i == o.BatchAxis ? (object)"N" : d).ToArray()));
        }

        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.RandomGraphs", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return new RandomGraph(seed, model, dims, string.Join(" → ", _summary));
    }

    // ---- what RandomOp uses ----------------------------------------------------------------------------------------

    internal Random Rng => _rng;

    internal IReadOnlyList<Value> Pool => _pool;

    internal IReadOnlyList<(string Name, int Rows, int Cols)> Matrices => _matrices;

    /// <summary>A value from the pool, recent ones more likely (deeper graphs).</summary>
    internal Value Pick() => _pool[Math.Max(0, _pool.Count - 1 - (int)Math.Floor(Math.Pow(_rng.NextDouble(), 2) * _pool.Count))];

    internal T Choose<T>(params T[] items) => items[_rng.Next(items.Length)];

    /// <summary>Adds a node with one float output of <paramref name="dims"/> to the graph and the pool.</summary>
    internal Value Add(string op, string[] inputs, int[] dims, int batchAxis, string detail, params AttributeProto[] attributes)
    {
        var name = "v" + _next++;
        var node = new NodeProto { OpType = op, Name = $"n{_next}_{op}" };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        var value = new Value(name, dims, batchAxis);
        _pool.Add(value);
        _summary.Add(detail.Length == 0 ? op : $"{op}({detail})");
        return value;
    }

    /// <summary>A float constant, values uniform in ±<paramref name="scale"/> (or in [low, high] when positive-only).</summary>
    internal string Constant(int[] dims, float scale = 1f, bool positive = false)
    {
        var values = new float[dims.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < values.Length; i++)
        {
            var u = (float)_rng.NextDouble();
            values[i] = positive ? 0.5f + (1.5f * u) : scale * ((2 * u) - 1);
        }

        var name = "c" + _next++;
        var t = new TensorProto { Name = name, DataType = (int)DT.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims.Select(d => (long)d));
        _graph.Initializer.Add(t);
        if (dims.Length == 2)
        {
            _matrices.Add((name, dims[0], dims[1]));
        }

        return name;
    }

    /// <summary>A rank-0 float constant.</summary>
    internal string Scalar(float value)
    {
        var name = "s" + _next++;
        var t = new TensorProto { Name = name, DataType = (int)DT.Float };
        t.FloatData.Add(value);
        _graph.Initializer.Add(t);
        return name;
    }

    internal string Int64s(params long[] values)
    {
        var name = "i" + _next++;
        var t = new TensorProto { Name = name, DataType = (int)DT.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.Add(values.Length);
        _graph.Initializer.Add(t);
        return name;
    }

    internal static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttrType.Int, I = value };

    internal static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttrType.Float, F = value };

    internal static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttrType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto ValueInfo(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d is string s
            ? new TensorShapeProto.Types.Dimension { DimParam = s }
            : new TensorShapeProto.Types.Dimension { DimValue = (int)d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } };
    }
}
