using ModelBuild.Graph;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// The explicit exclusion list: which node tests an inference code generator for float tensor models cannot be
/// asked to pass. Everything else is applicable and must pass or be refused with an MB code (README.md here).
/// </summary>
internal static class Applicability
{
    /// <summary>Training-only optimiser ops (losses are matched by name suffix, gradients by name).</summary>
    public static readonly IReadOnlySet<string> TrainingOps = new HashSet<string>(StringComparer.Ordinal) { "Adagrad", "Adam", "Momentum" };

    /// <summary>Ops whose output is random by definition: no fixed expected output to compare with.</summary>
    public static readonly IReadOnlySet<string> RandomOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Bernoulli", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
    };

    /// <summary>Ops that consume or produce sequences, optionals, maps or strings.</summary>
    public static readonly IReadOnlySet<string> NonTensorOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement", "SequenceAt", "SequenceConstruct",
        "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength", "SequenceMap", "SplitToSequence", "StringNormalizer",
        "TfIdfVectorizer", "RegexFullMatch", "StringConcat", "StringSplit",
    };

    /// <summary>Integer-quantised ops: their semantics are int8/uint8 arithmetic, not the float path we generate.</summary>
    public static readonly IReadOnlySet<string> QuantizedOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger",
        "ConvInteger",
    };

    /// <summary>ONNX's "numeric" type constraint: integers and floats (bool, string and complex are not numeric).</summary>
    public static bool IsNumeric(int elemType) => (DataType)elemType is DataType.Float or DataType.Double or DataType.Float16
        or DataType.BFloat16 or DataType.Int8 or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.UInt8
        or DataType.UInt16 or DataType.UInt32 or DataType.UInt64;

    private static bool IsNumericOrBool(int elemType) => IsNumeric(elemType) || (DataType)elemType == DataType.Bool;

    /// <summary>
    /// Why the test is not applicable, or null when it is. Reasons start with a category word. <paramref name="operatorUnderTest"/>
    /// (from <see cref="OperatorOf"/>) counts too: an expanded loss is still a loss, though its nodes are Mul and ReduceSum.
    /// </summary>
    public static string? NotApplicable(NodeTestCase test, string operatorUnderTest)
    {
        var graph = test.Model.Graph;
        foreach (var op in test.OpTypes.Prepend(operatorUnderTest.Replace(" (expanded)", "", StringComparison.Ordinal)).Distinct())
        {
            if (op.EndsWith("Loss", StringComparison.Ordinal) || op.Contains("Gradient", StringComparison.Ordinal) || TrainingOps.Contains(op))
            {
                return $"training: {op}";
            }

            if (RandomOps.Contains(op))
            {
                return $"random: {op}";
            }

            if (NonTensorOps.Contains(op))
            {
                return $"non-tensor: {op}";
            }

            if (QuantizedOps.Contains(op))
            {
                return $"quantized: {op}";
            }
        }

        // training_mode=1 makes BatchNormalization compute batch statistics and update running ones: a training step.
        if (graph.Node.Any(n => n.OpType == "BatchNormalization" && n.Attribute.Any(a => a.Name == "training_mode" && a.I != 0)))
        {
            return "training: BatchNormalization with training_mode=1";
        }

        if (DropoutInTrainingMode(test) is { } dropout)
        {
            return $"random: Dropout '{dropout}' with training_mode true";
        }

        if (graph.Input.Concat(graph.Output).FirstOrDefault(v => v.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType) is { } nonTensor)
        {
            return $"non-tensor: '{nonTensor.Name}' is a {nonTensor.Type?.ValueCase.ToString() ?? "untyped value"}";
        }

        if (graph.Input.Count == 0)
        {
            return "no-input: the model has no graph input to feed";
        }

        if (graph.Input.Concat(graph.Output).FirstOrDefault(v => (DataType)v.Type.TensorType.ElemType == DataType.String) is { } text)
        {
            return $"non-tensor: '{text.Name}' is a string tensor";
        }

        // bool tensors are tensors the generated API takes and returns (bool[]); only other kinds are not applicable.
        var first = graph.Input[0];
        if (!IsNumericOrBool(first.Type.TensorType.ElemType))
        {
            return $"not-numeric: first input '{first.Name}' is {(DataType)first.Type.TensorType.ElemType}";
        }

        return graph.Output.FirstOrDefault(o => !IsNumericOrBool(o.Type.TensorType.ElemType)) is { } output
            ? $"not-numeric: output '{output.Name}' is {(DataType)output.Type.TensorType.ElemType}"
            : null;
    }

    /// <summary>A Dropout whose training_mode input is a graph input the test sets to true (or a true constant).</summary>
    private static string? DropoutInTrainingMode(NodeTestCase test)
    {
        var graph = test.Model.Graph;
        foreach (var node in graph.Node.Where(n => n.OpType == "Dropout" && n.Input.Count >= 3 && n.Input[2].Length > 0))
        {
            var index = graph.Input.Select(i => i.Name).ToList().IndexOf(node.Input[2]);
            if (index >= 0 && test.Inputs[index] is { } mode && mode.ToInt64s().Any(v => v != 0))
            {
                return node.Name.Length > 0 ? node.Name : node.Output[0];
            }
        }

        return null;
    }

    /// <summary>
    /// The operator a test exercises, for the per-operator table: its single node's op; "_expanded" tests (the
    /// function body spelled out in primitive ops) are filed as "Op (expanded)" after their unexpanded sibling.
    /// </summary>
    public static string OperatorOf(NodeTestCase test, IReadOnlyDictionary<string, string> singleOpByTest)
    {
        const string Suffix = "_expanded";
        if (test.Name.EndsWith(Suffix, StringComparison.Ordinal)
            && singleOpByTest.TryGetValue(test.Name[..^Suffix.Length], out var op))
        {
            return op + " (expanded)";
        }

        var ops = test.OpTypes.Distinct().ToList();
        return ops.Count == 1 ? ops[0] : string.Join("+", ops);
    }
}
