namespace ModelBuild.Graph;

/// <summary>
/// How many inputs and outputs each default-domain operator ModelBuild handles takes, over all opsets
/// (e.g. Reshape has 1 input before opset 5, 2 after). The first <c>MinInputs</c> inputs are required (not ""), and
/// every input is when <see cref="EveryInputRequired"/> (the variadic Max, Min, Sum, Mean and Concat, whose inputs the
/// ONNX spec has no optional slot for; ONNX Runtime 1.31 crashes the process on an empty one).
/// </summary>
public sealed record OperatorArity(int MinInputs, int MaxInputs, int MinOutputs, int MaxOutputs, bool EveryInputRequired = false)
{
    private const int Many = int.MaxValue;

    private static readonly Dictionary<string, OperatorArity> s_table = Build();

    /// <summary>The arity of a default-domain operator, or null for operators this table does not know.</summary>
    public static OperatorArity? Of(string opType) => s_table.GetValueOrDefault(opType);

    private static Dictionary<string, OperatorArity> Build()
    {
        var t = new Dictionary<string, OperatorArity>(StringComparer.Ordinal);
        void Add(OperatorArity arity, params string[] ops)
        {
            foreach (var op in ops)
            {
                t[op] = arity;
            }
        }

        Add(new(1, 1, 1, 1),
            "Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Exp", "Neg", "Abs", "Sqrt", "Erf", "Elu", "Selu",
            "Softplus", "Softsign", "Gelu", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Identity", "Softmax", "LogSoftmax",
            "Hardmax", "LRN", "Not", "Transpose", "Flatten", "Cast", "Shape", "Size", "GlobalAveragePool", "GlobalMaxPool", "LpPool",
            "AveragePool", "ConstantOfShape", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
            "Celu", "Mish", "ThresholdedRelu", "Shrink", "IsNaN", "IsInf");
        Add(new(2, 2, 1, 1),
            "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
            "MatMul", "Gather", "PRelu", "Expand", "CastLike", "BitShift");
        Add(new(1, Many, 1, 1, EveryInputRequired: true), "Max", "Min", "Sum", "Mean", "Concat");
        Add(new(1, 2, 1, 1), "Reshape", "Squeeze", "Unsqueeze", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin");
        Add(new(1, 2, 1, Many), "Split");
        Add(new(1, 2, 1, 1), "Trilu");
        Add(new(1, 5, 1, 1), "Slice");
        Add(new(1, 3, 1, 1), "Clip");
        Add(new(1, 4, 1, 1), "Pad", "Resize");
        Add(new(1, 3, 1, 2), "Dropout");
        Add(new(1, 1, 1, 2), "MaxPool");
        Add(new(2, 3, 1, 1), "Conv", "Gemm", "QuantizeLinear", "DequantizeLinear", "Tile"); // Tile took an axis input before opset 6
        Add(new(2, 3, 1, 3), "LayerNormalization");
        Add(new(3, 3, 1, 1), "Where", "Range", "InstanceNormalization");
        Add(new(5, 5, 1, 5), "BatchNormalization");
        Add(new(0, 0, 1, 1), "Constant");
        return t;
    }
}
