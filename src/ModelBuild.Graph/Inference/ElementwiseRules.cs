namespace ModelBuild.Graph.Inference;

/// <summary>Operators whose output has the input's shape, and numpy-broadcasting binary operators.</summary>
internal static class ElementwiseRules
{
    private static readonly string[] s_unary =
    [
        "Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "LeakyRelu", "Exp", "Neg", "Abs", "Sqrt", "Erf",
        "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
        "Identity", "Softmax", "LogSoftmax", "Hardmax", "PRelu",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Celu", "Mish",
        "ThresholdedRelu", "Shrink", "Trilu",
    ];

    private static readonly string[] s_broadcast = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod"];

    private static readonly string[] s_compare = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"];

    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in s_unary)
        {
            rules[op] = SameAsInput;
        }

        foreach (var op in s_broadcast)
        {
            rules[op] = c => Broadcast(c, c.Type(0));
        }

        foreach (var op in s_compare)
        {
            rules[op] = c => Broadcast(c, DataType.Bool);
        }

        rules["Not"] = SameAsInput;
        rules["IsNaN"] = c => c.Set(0, DataType.Bool, c.Shape(0));
        rules["IsInf"] = c => c.Set(0, DataType.Bool, c.Shape(0));
        rules["Where"] = c => Broadcast(c, c.Type(1));
        rules["CastLike"] = c => c.Set(0, c.Type(1), c.Shape(0));
        rules["BitShift"] = c => Broadcast(c, c.Type(0));
        rules["Dropout"] = Dropout;
        rules["BatchNormalization"] = BatchNormalization;
        rules["Cast"] = c => c.Set(0, (DataType)c.Node.GetInt("to", 0), c.Shape(0));
        rules["DequantizeLinear"] = c => c.Set(0, c.HasInput(1) && c.Type(1) != DataType.Undefined ? c.Type(1) : DataType.Float, c.Shape(0));
        rules["QuantizeLinear"] = Quantize;
    }

    private static void SameAsInput(NodeContext c) => c.Set(0, c.Type(0), c.Shape(0));

    private static void Broadcast(NodeContext c, DataType type)
    {
        var shapes = new List<TensorShape>();
        for (var i = 0; i < c.InputCount; i++)
        {
            if (c.Shape(i) is not { } s)
            {
                c.Set(0, type, null);
                return;
            }

            shapes.Add(s);
        }

        c.Set(0, type, shapes.Count == 0 ? null : c.Broadcast(shapes));
    }

    private static void Dropout(NodeContext c)
    {
        SameAsInput(c);
        c.Set(1, DataType.Bool, c.Shape(0));
    }

    private static void BatchNormalization(NodeContext c)
    {
        var x = c.Shape(0);
        if (x is { Rank: >= 2 })
        {
            // Scale, bias, mean and variance are per channel (axis 1).
            var channels = x[1];
            for (var i = 1; i < Math.Min(5, c.InputCount); i++)
            {
                if (c.Shape(i) is { Rank: 1 } p)
                {
                    channels = c.Unify(channels, p[0], $"channel count of input {i} and X");
                }
            }

            x = new TensorShape(x.Select((d, i) => i == 1 ? channels : d));
            for (var o = 1; o < c.Node.Outputs.Count; o++)
            {
                c.Set(o, c.Type(0), TensorShape.Of(channels));
            }
        }

        c.Set(0, c.Type(0), x);
    }

    private static void Quantize(NodeContext c)
    {
        var type = c.HasInput(2) && c.Type(2) != DataType.Undefined ? c.Type(2)
            : c.Node.GetInt("output_dtype", 0) is > 0 and var t ? (DataType)t
            : DataType.UInt8;
        c.Set(0, type, c.Shape(0));
    }
}
