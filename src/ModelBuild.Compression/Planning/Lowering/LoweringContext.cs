using ModelBuild.Compression.Representation;
using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// What a lowering unit sees: the graph, operands turned into value ids (activations, blob constants, inline
/// constants), weight matrices in the kernels' layout, and <see cref="Emit"/>. Liveness is recorded as operands are
/// read, so a unit reads the operands of each op just before emitting it.
/// </summary>
internal sealed class LoweringContext
{
    /// <summary>Int64/bool constants up to this many elements are written inline in the plan; larger ones are refused.</summary>
    public const int MaxInlineElements = 1 << 16;

    private readonly IReadOnlyDictionary<string, StoredMatrix> _stored;
    private readonly Dictionary<string, int> _valueOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _slotIdOf = new();
    private readonly HashSet<Node> _fused = new();
    private readonly HashSet<string> _placeholders = new(StringComparer.Ordinal);

    public LoweringContext(ModelGraph graph, IReadOnlyDictionary<string, StoredMatrix> stored)
    {
        Graph = graph;
        _stored = stored;
    }

    public ModelGraph Graph { get; }

    /// <summary>Layers (by weight name) to run with 8-bit activations (the <c>quantize-activations</c> pass).</summary>
    public IReadOnlyDictionary<string, Passes.Activations.ActivationQuantization> ActivationQuant { get; init; } =
        new Dictionary<string, Passes.Activations.ActivationQuantization>();

    /// <summary>The representation a pass chose for weight <paramref name="name"/>, or null (float32).</summary>
    public StoredMatrix? StoredOf(string name) => _stored.GetValueOrDefault(name);

    /// <summary>The model file, for errors that are about the file rather than about coverage.</summary>
    public string ModelPath { get; init; } = "";

    public long Opset => Graph.DefaultOpset;

    public WeightTable Weights { get; } = new();

    public SlotAllocator Slots { get; } = new();

    public List<ValueDecl> Values { get; } = new();

    public List<IReadOnlyList<string>?> ValueShapes { get; } = new();

    public List<Op> Ops { get; } = new();

    /// <summary>The node being lowered (its name goes on every op it emits).</summary>
    public Node? Current { get; set; }

    /// <summary>Nodes already lowered as part of another (a Relu fused into the Conv before it).</summary>
    public bool IsFused(Node node) => _fused.Contains(node);

    /// <summary>Marks <paramref name="node"/> as lowered by another node's op (a member of a fused chain).</summary>
    public void MarkFused(Node node) => _fused.Add(node);

    /// <summary>The value id of <paramref name="name"/> read by the next op: an activation, or a constant made a value.</summary>
    public int Read(string name)
    {
        if (!_valueOf.TryGetValue(name, out var id))
        {
            id = Graph.GetInitializer(name) is { } t ? DeclareConstant(t)
                : throw new UnsupportedNodeException($"'{name}' has no producer the generated runtime runs");
        }

        if (_slotIdOf.TryGetValue(id, out var slotId))
        {
            Slots.Read(slotId, Ops.Count);
        }

        return id;
    }

    /// <summary>The constant behind <paramref name="name"/>, or null when it is computed.</summary>
    public Tensor? Constant(string name) => Graph.GetInitializer(name);

    /// <summary>A new activation for output <paramref name="name"/>, written by the next op.</summary>
    public int Write(string name)
    {
        var type = TensorTypeOf(name);
        var slotId = Slots.Declare(Ops.Count);
        var id = Add(ValueDecl.Activation(name, type, 0), name);
        _slotIdOf[id] = slotId;
        return id;
    }

    /// <summary>A new activation with no ONNX name (an intermediate of a node lowered to several ops).</summary>
    public int WriteTemp(string label, TensorType type)
    {
        var slotId = Slots.Declare(Ops.Count);
        Values.Add(ValueDecl.Activation(label, type, 0));
        ValueShapes.Add(null);
        _slotIdOf[Values.Count - 1] = slotId;
        return Values.Count - 1;
    }

    /// <summary>Binds <paramref name="name"/> to a float placeholder (outputs of a refused node, so analysis goes on).</summary>
    public void BindPlaceholder(string name)
    {
        _valueOf[name] = WriteTemp(name, TensorType.Float32);
        _placeholders.Add(name);
    }

    /// <summary>Whether <paramref name="name"/> is an output of a refused node (its type and shape are unknown).</summary>
    public bool IsPlaceholder(string name) => _placeholders.Contains(name);

    /// <summary>Records that the next op reads value <paramref name="id"/>.</summary>
    public int ReadId(int id)
    {
        if (_slotIdOf.TryGetValue(id, out var slotId))
        {
            Slots.Read(slotId, Ops.Count);
        }

        return id;
    }

    /// <summary>A new activation for <paramref name="output"/> that shares <paramref name="input"/>'s storage (views).</summary>
    public int WriteAlias(string output, int input)
    {
        var id = Write(output);
        if (_slotIdOf.TryGetValue(input, out var inputSlot))
        {
            Slots.Join(inputSlot, _slotIdOf[id]);
        }

        return id;
    }

    /// <summary>Declares a graph input (written before the first op).</summary>
    public int DeclareInput(string name)
    {
        var type = TensorTypeOf(name);
        var slotId = Slots.Declare(-1);
        var id = Add(ValueDecl.Activation(name, type, 0), name);
        _slotIdOf[id] = slotId;
        return id;
    }

    /// <summary>The value id already bound to <paramref name="name"/>, if any.</summary>
    public bool TryGetValue(string name, out int id) => _valueOf.TryGetValue(name, out id);

    /// <summary>The arena-slot allocator id of an activation value (null for constants).</summary>
    public int? SlotIdOf(int value) => _slotIdOf.TryGetValue(value, out var s) ? s : null;

    /// <summary>Appends an op (named after the current node).</summary>
    public void Emit(Op op) => Ops.Add(op with { Node = NodeLabel(Current!) });

    /// <summary>A stable label for a node: its name, or its first output, or its index.</summary>
    public string NodeLabel(Node node) =>
        node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? "#" + Graph.Nodes.IndexOf(node);

    /// <summary>
    /// Folds a Relu that is the only reader of the node's output into the node; returns the value name the op
    /// must write and the fused activation.
    /// </summary>
    public (string Output, Activation Act) FuseRelu(Node node)
    {
        var output = node.Outputs[0];
        if (!Graph.IsGraphOutput(output) && Graph.Consumers(output) is [{ OpType: "Relu" } relu] && relu.IsDefaultDomain
            && TensorTypeOf(output) == TensorType.Float32)
        {
            _fused.Add(relu);
            return (relu.Outputs[0], Activation.Relu);
        }

        return (output, Activation.None);
    }

    /// <summary>
    /// A blob entry holding weight <paramref name="name"/> as an <c>outputs × inputs</c> matrix. Each orientation of
    /// a tensor is its own entry, so a weight read by two nodes in different orientations gives each the layout it reads.
    /// </summary>
    /// <param name="name">The initializer.</param>
    /// <param name="transposed">Whether the tensor is stored <c>inputs × outputs</c> (MatMul's B, Gemm's B with transB = 0).</param>
    public int Matrix(string name, bool transposed)
    {
        var t = Constant(name) ?? throw new UnsupportedNodeException($"the weight '{name}' is not a constant");
        RequireFloat(t);
        var dims = t.Dims.Select(d => checked((int)d)).ToArray();
        var rows = transposed ? dims[1] : dims[0];
        var cols = transposed ? dims[0] : (int)(t.ElementCount / Math.Max(1, dims[0]));
        if (_stored.TryGetValue(name, out var matrix) && matrix.Rows == rows && matrix.Cols == cols)
        {
            // The pass chose the representation for this orientation (WeightRoles keeps shared weights float when
            // their consumers disagree), so it is the layout this consumer reads.
            return Weights.AddStored(name + "#m", name, matrix, transposed ? [rows, cols] : dims);
        }

        var values = t.ToFloats();
        if (transposed)
        {
            values = Transpose(values, rows: dims[0], cols: dims[1]);
        }

        return Weights.AddFloats(name + (transposed ? "#mT" : "#m"), name, values, transposed ? [rows, cols] : dims);
    }

    /// <summary>
    /// A Conv's weight entry (<see cref="Matrix"/> untransposed), stored in the conv tiles' order (blob format 11,
    /// rows in blocks of 4) when the runtime's conv reads it only through that order: a pointwise (all-1 kernel) float32
    /// weight, not quantized (nor with 8-bit activations), whose output channels per group are a multiple of 4, with
    /// at most <see cref="Kernels.MaxPackedConvWeights"/> weights. Those convs always run the packed tiles (k×k kernels
    /// may take Winograd or the channel-vector path, which read rows), so the first prediction reads the blob where it
    /// lies instead of copying the layer into packed memory (<c>WeightMatrix.ConvBlocks</c>). Any other conv: <see cref="Matrix"/>.
    /// </summary>
    public int ConvMatrix(string name, int group, IReadOnlyList<int> kernel)
    {
        var t = Constant(name) ?? throw new UnsupportedNodeException($"the weight '{name}' is not a constant");
        RequireFloat(t);
        var dims = t.Dims.Select(d => checked((int)d)).ToArray();
        var stored = _stored.GetValueOrDefault(name);
        bool keptFloat = stored is null || (stored is DenseFloat f && f.Rows == dims[0] && (long)f.Rows * f.Cols == t.ElementCount);
        if (keptFloat && !ActivationQuant.ContainsKey(name) && kernel.All(k => k == 1)
            && group > 0 && dims[0] % group == 0 && dims[0] / group % 4 == 0 && dims[0] > 0 && t.ElementCount <= Kernels.MaxPackedConvWeights)
        {
            return Weights.AddConvBlocks(name + "#cb", name, (stored as DenseFloat)?.Values ?? t.ToFloats(), dims);
        }

        return Matrix(name, transposed: false);
    }

    /// <summary>A blob entry of floats (biases, folded scales); <paramref name="key"/> de-duplicates.</summary>
    public int Floats(string key, string name, float[] values) => Weights.AddFloats(key, name, values, [values.Length]);

    /// <summary>The graph's element type of <paramref name="name"/> as a runtime tensor type; refuses others.</summary>
    public TensorType TensorTypeOf(string name)
    {
        var type = Graph.GetValueInfo(name)?.ElementType ?? Graph.GetInitializer(name)?.DataType ?? DataType.Undefined;
        return type switch
        {
            // float16, bfloat16 and float64 tensors are computed in float32 (the typed API converts at the boundary).
            DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double => TensorType.Float32,
            // int32 (paddle2onnx shape arithmetic) is computed in int64: same values for every shape and index.
            DataType.Int64 or DataType.Int32 => TensorType.Int64,
            DataType.Bool => TensorType.Bool,
            DataType.Undefined => throw new UnsupportedNodeException($"the element type of '{name}' is unknown"),
            _ => throw new UnsupportedNodeException($"'{name}' is {type.OnnxName()}; the generated runtime computes float32, int64 and bool tensors"),
        };
    }

    /// <summary>The inferred shape of <paramref name="name"/> (may hold symbols), or null.</summary>
    public TensorShape? ShapeOf(string name) => Graph.GetValueInfo(name)?.Shape ?? Graph.GetInitializer(name)?.Shape;

    /// <summary>The values of an int64 constant operand, or null when the operand is computed or absent.</summary>
    public long[]? ConstantInts(Node node, int input) =>
        node.InputOrNull(input) is { } name && Constant(name) is { } t ? t.ToInt64s() : null;

    public void RequireFloat(Tensor t)
    {
        if (t.DataType is not (DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double
            or DataType.Int8 or DataType.UInt8 or DataType.Int16 or DataType.UInt16 or DataType.Int32 or DataType.UInt32 or DataType.Int64 or DataType.UInt64))
        {
            throw new ModelBuildException("MB1007", ModelPath, $"the weight '{t.Name}' has the element type {t.DataType.OnnxName()}, which is not a number type a layer can multiply by.");
        }

        if (t.DataType is not (DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double))
        {
            throw new UnsupportedNodeException($"the weight '{t.Name}' is {t.DataType.OnnxName()}, not float32");
        }
    }

    /// <summary>Transposes a row-major <paramref name="rows"/>×<paramref name="cols"/> matrix.</summary>
    internal static float[] Transpose(float[] values, int rows, int cols) => Transpose(values.AsSpan(), rows, cols);

    /// <summary>The rows × cols matrix <paramref name="values"/> (row-major) as cols × rows.</summary>
    internal static float[] Transpose(ReadOnlySpan<float> values, int rows, int cols)
    {
        var result = new float[values.Length];
        Transpose(values, rows, cols, result);
        return result;
    }

    /// <summary>Writes the rows × cols matrix <paramref name="values"/> (row-major) transposed into <paramref name="result"/>.</summary>
    internal static void Transpose(ReadOnlySpan<float> values, int rows, int cols, Span<float> result)
    {
        // In 32 × 32 tiles, so reads and writes both stay in cache: a 8192² layer is transposed on every read of it.
        const int Tile = 32;
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                for (var r = r0; r < Math.Min(rows, r0 + Tile); r++)
                {
                    for (var c = c0; c < Math.Min(cols, c0 + Tile); c++)
                    {
                        result[(c * rows) + r] = values[(r * cols) + c];
                    }
                }
            }
        }
    }

    private int DeclareConstant(Tensor t)
    {
        var shape = t.Dims.Select(d => checked((int)d)).ToArray();
        switch (t.DataType)
        {
            case DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double:
                var entry = Weights.AddFloats(t.Name + "#c", t.Name, t.ToFloats(), shape.Length == 0 ? [1] : shape);
                return Add(ValueDecl.Blob(t.Name, entry, shape), t.Name);
            case DataType.Int64 or DataType.Int32 or DataType.Bool when t.ElementCount <= MaxInlineElements:
                var type = t.DataType == DataType.Bool ? TensorType.Bool : TensorType.Int64;
                return Add(ValueDecl.Inline(t.Name, type, t.ToInt64s(), shape), t.Name);
            default:
                throw new UnsupportedNodeException($"the constant '{t.Name}' ({t.DataType.OnnxName()}, {t.ElementCount} elements) has no runtime form");
        }
    }

    private int Add(ValueDecl decl, string name)
    {
        Values.Add(decl);
        ValueShapes.Add(ShapeOf(name)?.Select(d => d.ToString()).ToList());
        _valueOf[name] = Values.Count - 1;
        return Values.Count - 1;
    }
}
