using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>Per-operator lowering. Semantics follow the ONNX operator spec; shapes come from shape inference.</summary>
internal sealed partial class PlanBuilder
{
    private static readonly HashSet<string> s_aliasOps = new(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout",
    };

    private static readonly HashSet<string> s_loweredOps = new(StringComparer.Ordinal)
    {
        "Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow",
        "Softmax", "Transpose", "Concat", "BatchNormalization", "Cast",
        "Relu", "Sigmoid", "Tanh", "HardSwish", "Exp", "Neg", "Abs", "Sqrt", "Erf", "LeakyRelu", "HardSigmoid", "Gelu", "Clip",
    };

    private static bool IsKnownOperator(Node node) =>
        node.IsDefaultDomain && (s_aliasOps.Contains(node.OpType) || s_loweredOps.Contains(node.OpType));

    private void Lower(Node node)
    {
        if (!node.IsDefaultDomain)
        {
            throw new UnsupportedNodeException($"domain '{node.Domain}'");
        }

        if (s_aliasOps.Contains(node.OpType) || (node.OpType == "Cast" && node.GetInt("to", 0) == (long)DataType.Float))
        {
            LowerAlias(node);
            return;
        }

        switch (node.OpType)
        {
            case "Conv": LowerConv(node); break;
            case "Gemm": LowerGemm(node); break;
            case "MatMul": LowerMatMul(node); break;
            case "MaxPool" or "AveragePool": LowerPool(node); break;
            case "GlobalAveragePool": LowerGlobalAveragePool(node); break;
            case "Add" or "Sub" or "Mul" or "Div" or "Max" or "Min" or "Pow": LowerBinary(node); break;
            case "Softmax": LowerSoftmax(node); break;
            case "Transpose": LowerTranspose(node); break;
            case "Concat": LowerConcat(node); break;
            case "BatchNormalization": LowerBatchNorm(node); break;
            default:
                if (UnaryFunctionOf(node) is { } fn)
                {
                    LowerUnary(node, fn);
                    return;
                }

                throw new UnsupportedNodeException("operator not supported");
        }
    }

    private void LowerAlias(Node node)
    {
        var input = node.Inputs[0];
        var output = node.Outputs[0];
        if (!_bufferOf.TryGetValue(input, out var id))
        {
            throw new UnsupportedNodeException($"input '{input}' is a constant");
        }

        if (Size(input) != Size(output))
        {
            throw new UnsupportedNodeException($"it changes the batch dimension ({Size(input)} vs {Size(output)} values per sample)");
        }

        Bind(output, id);
    }

    private void LowerConv(Node node)
    {
        var x = PerSample(node.Inputs[0]);
        if (x.Length != 3)
        {
            throw new UnsupportedNodeException("only 2-D convolution (NCHW) is supported");
        }

        var w = Initializer(node, 1);
        var y = PerSample(node.Outputs[0]);
        var k = KernelShape(node, w.Dims.Skip(2).Select(d => (int)d).ToArray());
        var s = Ints(node, "strides", 1, 1);
        var d = Ints(node, "dilations", 1, 1);
        var p = Pads(node, x, y, k, s, d);
        var group = (int)node.GetInt("group", 1);
        var weight = MatrixWeightIndex(w.Name, transposed: false, w.Dims);
        var bias = node.InputOrNull(2) is { } b ? VectorWeightIndex(b) : -1;
        var input = Read(node.Inputs[0]);
        var (outputValue, act) = FuseRelu(node);
        var output = Write(outputValue, node.Outputs[0]);
        _scratch = Math.Max(_scratch, checked(x[0] / group * k[0] * k[1] * y[1] * y[2]));
        Emit("Conv", node.Name, ("in", N(input)), ("out", N(output)), ("weight", N(weight)), ("bias", N(bias)),
            ("c", N(x[0])), ("h", N(x[1])), ("w", N(x[2])), ("oc", N(y[0])), ("oh", N(y[1])), ("ow", N(y[2])),
            ("kh", N(k[0])), ("kw", N(k[1])), ("sh", N(s[0])), ("sw", N(s[1])), ("dh", N(d[0])), ("dw", N(d[1])),
            ("pt", N(p[0])), ("pl", N(p[1])), ("pb", N(p[2])), ("pr", N(p[3])), ("group", N(group)), ("act", act));
    }

    private void LowerGemm(Node node)
    {
        if (node.GetInt("transA", 0) != 0 || node.GetFloat("alpha", 1f) != 1f || (node.InputOrNull(2) is not null && node.GetFloat("beta", 1f) != 1f))
        {
            throw new UnsupportedNodeException("transA, or alpha/beta on a non-constant operand");
        }

        var b = Initializer(node, 1);
        var transposed = node.GetInt("transB", 0) == 0;
        var n = (int)(transposed ? b.Dims[1] : b.Dims[0]);
        var k = (int)(transposed ? b.Dims[0] : b.Dims[1]);
        var bias = -1;
        if (node.InputOrNull(2) is { } c)
        {
            var ct = _graph.GetInitializer(c) ?? throw new UnsupportedNodeException("C is not a constant");
            var values = ct.ToFloats();
            if (values.Length != n && values.Length != 1)
            {
                throw new UnsupportedNodeException($"C of shape {ct.Shape} is not a per-output bias");
            }

            bias = Weights.AddFloats(c + "#bias" + n, c, values.Length == n ? values : Enumerable.Repeat(values[0], n).ToArray(), [n]);
        }

        EmitDense(node, b, transposed, rows: 1, k, n, bias);
    }

    private void LowerMatMul(Node node)
    {
        var b = Initializer(node, 1);
        if (b.Dims.Length != 2)
        {
            throw new UnsupportedNodeException("only a constant 2-D right operand is supported");
        }

        var a = PerSample(node.Inputs[0]);
        if (a.Length == 0 || a[^1] != b.Dims[0])
        {
            throw new UnsupportedNodeException("the left operand's last dimension does not match the weight");
        }

        EmitDense(node, b, transposed: true, rows: a[..^1].Aggregate(1, (x, y) => x * y), (int)b.Dims[0], (int)b.Dims[1], -1);
    }

    private void EmitDense(Node node, Tensor weightTensor, bool transposed, int rows, int k, int n, int bias)
    {
        var weight = MatrixWeightIndex(weightTensor.Name, transposed, transposed ? [n, k] : weightTensor.Dims);
        var input = Read(node.Inputs[0]);
        var (outputValue, act) = FuseRelu(node);
        var output = Write(outputValue, node.Outputs[0]);
        Emit("Dense", node.Name, ("in", N(input)), ("out", N(output)), ("weight", N(weight)), ("bias", N(bias)),
            ("rows", N(rows)), ("k", N(k)), ("n", N(n)), ("act", act));
    }

    private void LowerPool(Node node)
    {
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            throw new UnsupportedNodeException("the Indices output");
        }

        var x = PerSample(node.Inputs[0]);
        if (x.Length != 3)
        {
            throw new UnsupportedNodeException("only 2-D pooling (NCHW) is supported");
        }

        var y = PerSample(node.Outputs[0]);
        var k = KernelShape(node, null);
        var s = Ints(node, "strides", 1, 1);
        var d = Ints(node, "dilations", 1, 1);
        var p = Pads(node, x, y, k, s, d);
        var input = Read(node.Inputs[0]);
        var output = Write(node.Outputs[0], node.Outputs[0]);
        var args = new List<(string, string)>
        {
            ("in", N(input)), ("out", N(output)), ("c", N(x[0])), ("h", N(x[1])), ("w", N(x[2])), ("oh", N(y[1])), ("ow", N(y[2])),
            ("kh", N(k[0])), ("kw", N(k[1])), ("sh", N(s[0])), ("sw", N(s[1])), ("dh", N(d[0])), ("dw", N(d[1])),
            ("pt", N(p[0])), ("pl", N(p[1])), ("pb", N(p[2])), ("pr", N(p[3])),
        };
        if (node.OpType == "AveragePool")
        {
            args.Add(("countIncludePad", N(node.GetInt("count_include_pad", 0))));
        }

        Emit(node.OpType, node.Name, args.ToArray());
    }

    private void LowerGlobalAveragePool(Node node)
    {
        var x = PerSample(node.Inputs[0]);
        var input = Read(node.Inputs[0]);
        var output = Write(node.Outputs[0], node.Outputs[0]);
        Emit("GlobalAveragePool", node.Name, ("in", N(input)), ("out", N(output)), ("c", N(x[0])), ("hw", N(x.Skip(1).Aggregate(1, (a, b) => a * b))));
    }

    private void LowerUnary(Node node, (string Fn, float Alpha, float Beta) fn)
    {
        var count = Size(node.Inputs[0]);
        var input = Read(node.Inputs[0]);
        var output = WriteInPlace(node.Inputs[0], node.Outputs[0]);
        Emit("Unary", node.Name, ("in", N(input)), ("out", N(output)), ("fn", fn.Fn), ("count", N(count)), ("alpha", N(fn.Alpha)), ("beta", N(fn.Beta)));
    }

    private (string Fn, float Alpha, float Beta)? UnaryFunctionOf(Node node) => node.OpType switch
    {
        "Relu" or "Sigmoid" or "Tanh" or "HardSwish" or "Exp" or "Neg" or "Abs" or "Sqrt" or "Erf" => (node.OpType, 0f, 0f),
        "LeakyRelu" => ("LeakyRelu", node.GetFloat("alpha", 0.01f), 0f),
        "HardSigmoid" => ("HardSigmoid", node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)),
        "Gelu" when node.GetString("approximate", "none") == "none" => ("Gelu", 0f, 0f),
        "Clip" => ("Clip", ClipBound(node, 1, "min", float.NegativeInfinity), ClipBound(node, 2, "max", float.PositiveInfinity)),
        _ => null,
    };

    private float ClipBound(Node node, int input, string attribute, float fallback)
    {
        if (_graph.DefaultOpset < 11)
        {
            return node.GetFloat(attribute, fallback);
        }

        if (node.InputOrNull(input) is not { } name)
        {
            return fallback;
        }

        return _graph.GetInitializer(name)?.ToFloats() is [var v] ? v : throw new UnsupportedNodeException($"Clip {attribute} is not a constant");
    }
}
