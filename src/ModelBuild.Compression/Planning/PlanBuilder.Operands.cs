using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>Operands, attributes and buffers shared by the lowering methods.</summary>
internal sealed partial class PlanBuilder
{
    private Tensor Initializer(Node node, int input) =>
        node.InputOrNull(input) is { } name && _graph.GetInitializer(name) is { } t
            ? t
            : throw new UnsupportedNodeException($"input {input} must be a constant");

    private int MatrixWeightIndex(string name, bool transposed, long[] dims)
    {
        var intDims = dims.Select(d => checked((int)d)).ToArray();
        if (_quantized.TryGetValue(name, out var matrix))
        {
            return Weights.AddStored(name + "#m", name, matrix, intDims);
        }

        var values = _graph.GetInitializer(name)!.ToFloats();
        if (transposed)
        {
            values = Transpose(values, rows: intDims[1], cols: intDims[0]);
        }

        return Weights.AddFloats(name + "#m", name, values, intDims);
    }

    private int VectorWeightIndex(string name)
    {
        var t = _graph.GetInitializer(name) ?? throw new UnsupportedNodeException($"'{name}' must be a constant");
        return Weights.AddFloats(name + "#v", name, t.ToFloats(), [checked((int)t.ElementCount)]);
    }

    /// <summary>Transposes a row-major <paramref name="rows"/>×<paramref name="cols"/> matrix.</summary>
    internal static float[] Transpose(float[] values, int rows, int cols)
    {
        var result = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[(c * rows) + r] = values[(r * cols) + c];
            }
        }

        return result;
    }

    private int[] KernelShape(Node node, int[]? fallback)
    {
        var k = node.GetInts("kernel_shape")?.Select(v => (int)v).ToArray() ?? fallback
            ?? throw new UnsupportedNodeException("kernel_shape is missing");
        return k.Length == 2 ? k : throw new UnsupportedNodeException("only 2-D kernels are supported");
    }

    private static int[] Ints(Node node, string name, params int[] fallback)
    {
        var values = node.GetInts(name)?.Select(v => (int)v).ToArray() ?? fallback;
        return values.Length == fallback.Length ? values : throw new UnsupportedNodeException($"{name} must have {fallback.Length} values");
    }

    /// <summary>Explicit pads [top, left, bottom, right], resolving <c>auto_pad</c> from the inferred output size.</summary>
    private static int[] Pads(Node node, int[] x, int[] y, int[] k, int[] s, int[] d)
    {
        var autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            var pads = new int[4];
            for (var i = 0; i < 2; i++)
            {
                var total = Math.Max(0, ((y[i + 1] - 1) * s[i]) + ((k[i] - 1) * d[i]) + 1 - x[i + 1]);
                var small = total / 2;
                pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
                pads[i + 2] = total - pads[i];
            }

            return pads;
        }

        return autoPad == "VALID" ? new int[4] : Ints(node, "pads", 0, 0, 0, 0);
    }

    /// <summary>The activation buffer holding <paramref name="value"/>, recorded as read by the op being emitted.</summary>
    private int Read(string value)
    {
        if (!_bufferOf.TryGetValue(value, out var id))
        {
            throw new UnsupportedNodeException($"'{value}' is a constant where an activation is expected");
        }

        _alloc.Use(id, _ops.Count);
        return id;
    }

    /// <summary>A fresh buffer for <paramref name="value"/>, sized from <paramref name="shapeOf"/>'s shape.</summary>
    private int Write(string value, string shapeOf)
    {
        var id = _alloc.Declare(Size(shapeOf), _ops.Count);
        Bind(value, id);
        return id;
    }

    /// <summary>Reuses the input's buffer when nothing reads it later (elementwise ops may run in place).</summary>
    private int WriteInPlace(string input, string output)
    {
        var id = _bufferOf[input];
        var free = _valuesOf[id].All(v => _lastReader.GetValueOrDefault(v, -1) <= _nodeIndex && !_graph.IsGraphOutput(v));
        if (!free || Size(input) != Size(output))
        {
            return Write(output, output);
        }

        Bind(output, id);
        return id;
    }

    /// <summary>Folds a Relu that is the only reader of the node's output into the node (act=relu).</summary>
    private (string Output, string Act) FuseRelu(Node node)
    {
        var output = node.Outputs[0];
        if (!_graph.IsGraphOutput(output) && _graph.Consumers(output) is [{ OpType: "Relu" } relu] && relu.IsDefaultDomain)
        {
            _fused.Add(relu);
            return (relu.Outputs[0], "relu");
        }

        return (output, "none");
    }
}
