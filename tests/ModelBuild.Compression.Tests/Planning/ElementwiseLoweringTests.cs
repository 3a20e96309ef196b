using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// The element-wise operators lowered and run by the runtime (through the plan interpreter) against ONNX Runtime on
/// the same model: attribute defaults, the lowering's choices (Gelu's tanh form, Mod's fmod, variadic chains and
/// Mean, bool-valued intermediates) and numpy broadcasting. Each model concatenates its results on axis 0, so one
/// wrong operator is one wrong block.
/// </summary>
public sealed class ElementwiseLoweringTests
{
    private static readonly int[] Shape = [2, 3, 5];

    [Fact]
    public void Unary_family_matches_onnx_runtime()
    {
        var nodes = new List<NodeProto>
        {
            Node("Gelu", ["x"], "gelu", Str("approximate", "tanh")),
            Node("Mish", ["x"], "mish"),
            Node("Add", ["x", "two"], "x2"),
            Node("Reciprocal", ["x2"], "reciprocal"),
            Node("Log", ["x2"], "log"),
            Node("Acosh", ["x2"], "acosh"),
            Node("Mul", ["x", "three"], "x3"),
            Node("Round", ["x3"], "round"),
            Node("Floor", ["x3"], "floor"),
            Node("Ceil", ["x3"], "ceil"),
            Node("Sign", ["x3"], "sign"),
        };
        string[] plain = ["Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Atanh", "Selu", "Softplus", "Softsign"];
        nodes.AddRange(plain.Select(op => Node(op, ["x"], op.ToLowerInvariant())));
        nodes.Add(Node("Elu", ["x3"], "elu", Flt("alpha", 0.7f)));
        nodes.Add(Node("Celu", ["x3"], "celu", Flt("alpha", 1.3f)));
        nodes.Add(Node("ThresholdedRelu", ["x"], "thresholdedrelu", Flt("alpha", 0.2f)));
        nodes.Add(Node("Shrink", ["x"], "shrink", Flt("lambd", 0.3f), Flt("bias", 0.1f)));
        nodes.Add(Node("Concat", nodes.Where(n => n.Output[0] is not ("x2" or "x3")).Select(n => n.Output[0]).ToArray(), "y", Int("axis", 0)));

        AssertMatchesOrt(Model(20, [Scalar("two", 2f), Scalar("three", 3f)], [.. nodes]), seed: 1);
    }

    [Fact]
    public void Clip_with_an_omitted_bound_clamps_infinity_to_the_largest_float_as_onnx_runtime_does()
    {
        // x·1e30·1e30 overflows to ±∞; an omitted Clip bound is ±FLT_MAX (numeric_limits), so ∞ becomes FLT_MAX.
        NodeProto[] nodes =
        [
            Node("Mul", ["x", "big"], "x1"),
            Node("Mul", ["x1", "big"], "huge"),
            Node("Clip", ["huge", "lo"], "no_max"),
            Node("Clip", ["huge", "", "hi"], "no_min"),
            Node("Clip", ["huge"], "neither"),
            Node("Concat", ["no_max", "no_min", "neither"], "y", Int("axis", 0)),
        ];

        AssertMatchesOrt(Model(13, [Scalar("big", 1e30f), Scalar("lo", -1f), Scalar("hi", 1f)], nodes), seed: 7);
    }

    [Fact]
    public void Binary_variadic_and_trilu_match_onnx_runtime()
    {
        NodeProto[] nodes =
        [
            Node("Mod", ["x", "divisor"], "fmod", Int("fmod", 1)),
            Node("PRelu", ["x", "slope"], "prelu"),
            Node("Pow", ["x", "exponent"], "pow"),
            Node("Mean", ["x", "w1", "w2"], "mean"),
            Node("Sum", ["x", "w1", "w2"], "sum"),
            Node("Max", ["x", "w1", "w2"], "max"),
            Node("Min", ["w2", "x"], "min"),
            Node("Trilu", ["x", "k"], "lower", Int("upper", 0)),
            Node("Trilu", ["x"], "upper"),
            Node("Concat", ["fmod", "prelu", "pow", "mean", "sum", "max", "min", "lower", "upper"], "y", Int("axis", 0)),
        ];
        TensorProto[] constants =
        [
            Floats("divisor", [5], [0.3f, -0.4f, 0.7f, -1f, 2f]),
            Floats("slope", [5], [0.1f, -0.5f, 2f, 0f, 1f]),
            Longs("exponent", [], [3]),
            Floats("w1", [3, 1], [0.25f, -0.5f, 0.75f]),
            Floats("w2", [5], [-0.2f, 0.1f, 0.4f, -0.6f, 0.9f]),
            Longs("k", [], [1]),
        ];

        AssertMatchesOrt(Model(14, constants, nodes), seed: 2);
    }

    [Fact]
    public void Bool_intermediates_and_where_match_onnx_runtime()
    {
        NodeProto[] nodes =
        [
            Node("Less", ["x", "w1"], "less"),
            Node("GreaterOrEqual", ["x", "w2"], "ge"),
            Node("Not", ["ge"], "not_ge"),
            Node("And", ["less", "not_ge"], "and"),
            Node("Equal", ["less", "ge"], "same"),
            Node("Or", ["and", "same"], "or"),
            Node("Xor", ["or", "less"], "xor"),
            Node("Neg", ["x"], "neg"),
            Node("Where", ["xor", "x", "neg"], "where"),
            Node("IsNaN", ["x"], "nan"),
            Node("IsInf", ["x"], "inf"),
            Node("Or", ["nan", "inf"], "special"),
            Node("CastLike", ["special", "x"], "special_f"),
            Node("Greater", ["x", "w1"], "gt"),
            Node("LessOrEqual", ["x", "w2"], "le"),
            Node("Cast", ["gt"], "gt_f", Int("to", 1)),
            Node("Cast", ["le"], "le_f", Int("to", 1)),
            Node("Concat", ["where", "special_f", "gt_f", "le_f"], "y", Int("axis", 0)),
        ];
        TensorProto[] constants = [Floats("w1", [3, 1], [0.25f, -0.5f, 0.75f]), Floats("w2", [5], [-0.2f, 0.1f, 0.4f, -0.6f, 0.9f])];

        AssertMatchesOrt(Model(15, constants, nodes), seed: 3);
    }

    [Fact]
    public void Legacy_axis_broadcasting_is_refused_not_misread()
    {
        // Opset 6 Add with broadcast = 1 and an axis aligns B at that axis; numpy aligns it at the right.
        var model = Model(6, [Floats("w", [3, 5], new float[15])], [Node("Add", ["x", "w"], "y", Int("broadcast", 1), Int("axis", 1))]);
        var path = Path.Combine(Path.GetTempPath(), $"mb-eltwise-{Environment.ProcessId}-legacy.onnx");
        try
        {
            File.WriteAllBytes(path, model.ToByteArray());
            var e = Assert.Throws<ModelBuildException>(() => ModelBuild.Compression.Pipeline.ExactPlanner.Build(path));
            Assert.Equal("MB3003", e.Code);
            Assert.Contains("legacy broadcasting", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertMatchesOrt(ModelProto model, int seed)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mb-eltwise-{Environment.ProcessId}-{seed}.onnx");
        try
        {
            File.WriteAllBytes(path, model.ToByteArray());
            var input = PlanInterpreterTests.Random(Shape, seed);
            var (actual, _) = PlanInterpreterTests.Run(path, input, Shape);
            PlanInterpreterTests.AssertClose(Ort.Run(model.ToByteArray(), input, Shape), actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ModelProto Model(long opset, TensorProto[] constants, NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "eltwise" };
        graph.Input.Add(FloatValue("x", Shape));
        graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float } } });
        graph.Initializer.AddRange(constants);
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static ValueInfoProto FloatValue(string name, int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } };
    }

    private static TensorProto Scalar(string name, float value) => Floats(name, [], [value]);

    private static TensorProto Floats(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DT.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static TensorProto Longs(string name, long[] dims, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DT.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttrType.Int, I = value };

    private static AttributeProto Flt(string name, float value) => new() { Name = name, Type = AttrType.Float, F = value };

    private static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttrType.String, S = ByteString.CopyFromUtf8(value) };
}
