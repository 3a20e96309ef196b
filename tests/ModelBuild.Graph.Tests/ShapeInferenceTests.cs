using ModelBuild.Graph.Inference;
using static ModelBuild.Graph.Tests.GraphBuilder;

namespace ModelBuild.Graph.Tests;

/// <summary>Per-operator shape inference on small graphs: the expected shape, and ONNX Runtime's actual shapes (N = 2).</summary>
public sealed class ShapeInferenceTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData("SAME_UPPER", 2, 1, "[N,4,4,4]")]
    [InlineData("SAME_LOWER", 2, 1, "[N,4,4,4]")]
    [InlineData("SAME_UPPER", 1, 1, "[N,4,7,7]")]
    [InlineData("VALID", 1, 2, "[N,4,3,3]")]
    [InlineData("VALID", 2, 1, "[N,4,3,3]")]
    [InlineData("NOTSET", 3, 1, "[N,4,2,2]")]
    public void Conv_AutoPad(string autoPad, long stride, long dilation, string expected)
    {
        var b = new GraphBuilder().Input("x", N, 3, 7, 7).Weight("w", [4, 3, 3, 3])
            .Node("Conv", ["x", "w"], "y", A("auto_pad", autoPad), A("strides", stride, stride), A("dilations", dilation, dilation)).Output("y");
        AssertInferred(b.Graph, "y", expected);
    }

    [Fact]
    public void Conv_GroupsPadsStridesDilations()
    {
        var b = new GraphBuilder().Input("x", N, 4, 9, 10).Weight("w", [6, 2, 3, 2]).Weight("bias", [6])
            .Node("Conv", ["x", "w", "bias"], "y", A("group", 2L), A("pads", 0, 1, 2, 0), A("strides", 2, 3), A("dilations", 2, 1)).Output("y");
        AssertInferred(b.Graph, "y", "[N,6,4,4]");
    }

    [Fact]
    public void Conv_Depthwise1D()
    {
        var b = new GraphBuilder().Input("x", N, 5, 11).Weight("w", [5, 1, 4])
            .Node("Conv", ["x", "w"], "y", A("group", 5L), A("auto_pad", "SAME_UPPER"), A("strides", [2L])).Output("y");
        AssertInferred(b.Graph, "y", "[N,5,6]");
    }

    [Theory]
    [InlineData(0, 0, "[3,5]")]
    [InlineData(0, 1, "[3,5]")]
    [InlineData(1, 1, "[3,5]")]
    public void Gemm_Transposes(long transA, long transB, string expected)
    {
        long[] a = transA == 1 ? [4, 3] : [3, 4];
        long[] bw = transB == 1 ? [5, 4] : [4, 5];
        var b = new GraphBuilder().Input("a", a.Select(Dim.Of).ToArray()).Weight("b", bw).Weight("c", [5])
            .Node("Gemm", ["a", "b", "c"], "y", A("transA", transA), A("transB", transB)).Output("y");
        AssertInferred(b.Graph, "y", expected);
    }

    [Fact]
    public void Gemm_SymbolicRows()
    {
        var b = new GraphBuilder().Input("a", N, 8).Weight("b", [16, 8]).Weight("c", [1, 16])
            .Node("Gemm", ["a", "b", "c"], "y", A("transB", 1L)).Output("y");
        AssertInferred(b.Graph, "y", "[N,16]");
    }

    [Fact]
    public void LayerNormalization_StatisticsKeepTheLeadingDims()
    {
        var b = new GraphBuilder(17).Input("x", N, 3, 4).Weight("scale", [3, 4]).Weight("bias", [3, 4])
            .Node("LayerNormalization", ["x", "scale", "bias"], ["y", "mean", "inv"], A("axis", 1L))
            .Output("y").Output("mean").Output("inv");
        var g = AssertInferred(b.Graph, "y", "[N,3,4]");
        Assert.Equal("[N,1,1]", g.ValueInfos["mean"].Shape!.ToString());
        Assert.Equal("[N,1,1]", g.ValueInfos["inv"].Shape!.ToString());
    }

    [Fact]
    public void Normalizations_KeepTheInputShape()
    {
        var b = new GraphBuilder(13).Input("x", N, 3, 4, 5).Weight("s", [3]).Weight("t", [3])
            .Node("InstanceNormalization", ["x", "s", "t"], "a")
            .Node("LRN", ["a"], "b", A("size", 3L))
            .Node("LpNormalization", ["b"], "c", A("axis", 1L))
            .Node("MeanVarianceNormalization", ["c"], "y")
            .Output("y");
        AssertInferred(b.Graph, "y", "[N,3,4,5]");
    }

    [Fact]
    public void MatMul_BatchedAndBroadcast()
    {
        var b = new GraphBuilder().Input("a", N, 1, 3, 4).Weight("w", [5, 4, 6]).Weight("v", [6]).Weight("m", [2, 6, 3])
            .Node("MatMul", ["a", "w"], "y")
            .Node("MatMul", ["y", "v"], "z")
            .Node("MatMul", ["v", "m"], "u")
            .Output("y").Output("z").Output("u");
        var g = AssertInferred(b.Graph, "y", "[N,5,3,6]");
        Assert.Equal("[N,5,3]", g.ValueInfos["z"].Shape!.ToString());
        Assert.Equal("[2,3]", g.ValueInfos["u"].Shape!.ToString());
    }

    [Fact]
    public void Broadcasting_BinaryOps()
    {
        var b = new GraphBuilder().Input("x", N, 3, 1, 5).Weight("p", [4, 1]).Weight("q", [5]).Weight("r", [1, 1, 1, 1])
            .Node("Add", ["x", "p"], "a")
            .Node("Mul", ["a", "q"], "m")
            .Node("Pow", ["m", "r"], "p2")
            .Node("Max", ["p2", "x", "q"], "mx")
            .Node("Div", ["q", "x"], "d")
            .Output("a").Output("mx").Output("d");
        var g = AssertInferred(b.Graph, "mx", "[N,3,4,5]");
        Assert.Equal("[N,3,1,5]", g.ValueInfos["d"].Shape!.ToString());
    }

    [Fact]
    public void Unary_KeepShape_AndChainOfLayoutOps()
    {
        var b = new GraphBuilder(14).Input("x", N, 3, 4, 5).Weight("s", [3]).Weight("bb", [3]).Weight("mean", [3]).Weight("var", [3], [1, 2, 3])
            .Node("BatchNormalization", ["x", "s", "bb", "mean", "var"], "bn")
            .Node("HardSigmoid", ["bn"], "h").Node("HardSwish", ["h"], "hs").Node("LeakyRelu", ["hs"], "lr")
            .Node("Clip", ["lr"], "cl").Node("Tanh", ["cl"], "t").Node("Erf", ["t"], "e").Node("Abs", ["e"], "ab")
            .Node("Sqrt", ["ab"], "sq").Node("Neg", ["sq"], "ng").Node("Exp", ["ng"], "ex").Node("Sigmoid", ["ex"], "sg")
            .Node("Dropout", ["sg"], "dr").Node("Identity", ["dr"], "id")
            .Node("Transpose", ["id"], "tr", A("perm", 0, 2, 3, 1))
            .Node("Flatten", ["tr"], "fl", A("axis", 1L))
            .Node("Softmax", ["fl"], "sm", A("axis", -1L))
            .Node("Cast", ["sm"], "c64", A("to", (long)DataType.Double))
            .Node("Cast", ["c64"], "c32", A("to", (long)DataType.Float))
            .Output("c32");
        var g = AssertInferred(b.Graph, "c32", "[N,60]");
        Assert.Equal("[N,4,5,3]", g.ValueInfos["tr"].Shape!.ToString());
        Assert.Equal(DataType.Double, g.ValueInfos["c64"].ElementType);
    }

    [Theory]
    [InlineData(new long[] { 0, -1 }, "[N,60]")]
    [InlineData(new long[] { 0, 3, -1 }, "[N,3,20]")]
    [InlineData(new long[] { -1, 5 }, "[?,5]")]
    [InlineData(new long[] { 0, 0, 2, 2, 5 }, "[N,3,2,2,5]")]
    [InlineData(new long[] { 0, 12, 5 }, "[N,12,5]")]
    public void Reshape_ZeroAndMinusOne(long[] target, string expected)
    {
        var b = new GraphBuilder(14).Input("x", N, 3, 4, 5).Ints("shape", target).Node("Reshape", ["x", "shape"], "y").Output("y");
        AssertInferred(b.Graph, "y", expected, requireComplete: !expected.Contains('?'));
    }

    [Fact]
    public void Reshape_StaticMinusOne_AndAllowZero()
    {
        var b = new GraphBuilder(14).Input("x", 2, 3, 4).Ints("s1", -1, 4).Ints("s2", 4, 6)
            .Node("Reshape", ["x", "s1"], "y").Node("Reshape", ["y", "s2"], "z", A("allowzero", 1L)).Output("z");
        var g = AssertInferred(b.Graph, "z", "[4,6]");
        Assert.Equal("[6,4]", g.ValueInfos["y"].Shape!.ToString());
    }

    [Fact]
    public void Reshape_TargetComputedFromShapeSubgraph()
    {
        // PyTorch's x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat with [-1] → Reshape.
        var b = new GraphBuilder(11).Input("x", N, 3, 4, 5).Scalar("zero", 0).Ints("minus", -1)
            .Node("Shape", ["x"], "shape").Node("Gather", ["shape", "zero"], "n", A("axis", 0L))
            .Node("Unsqueeze", ["n"], "n1", A("axes", [0L])).Node("Concat", ["n1", "minus"], "target", A("axis", 0L))
            .Node("Reshape", ["x", "target"], "y").Output("y");
        var g = AssertInferred(b.Graph, "y", "[N,60]");
        Assert.Equal("[4]", g.ValueInfos["shape"].Shape!.ToString());
        Assert.Equal(DataType.Int64, g.ValueInfos["target"].ElementType);
        var value = new ShapeTensorEvaluator(g).Evaluate("target")!;
        Assert.Equal("N", value.Elements[0].Symbol);
        Assert.Equal(-1, value.Elements[1].Value);
    }

    [Fact]
    public void Reshape_TargetFromSliceAndArithmeticOnShape()
    {
        // target = Concat(Shape(x)[0:1], Shape(x)[1] * Shape(x)[2], Shape(x)[3:]) = [N, 12, 5]
        var b = new GraphBuilder(13).Input("x", N, 3, 4, 5).Ints("z", 0).Ints("one", 1).Ints("two", 2).Ints("three", 3).Ints("big", long.MaxValue)
            .Node("Shape", ["x"], "s")
            .Node("Slice", ["s", "z", "one"], "head").Node("Slice", ["s", "three", "big"], "tail")
            .Node("Gather", ["s", "one"], "d1").Node("Gather", ["s", "two"], "d2").Node("Mul", ["d1", "d2"], "prod")
            .Node("Concat", ["head", "prod", "tail"], "target", A("axis", 0L))
            .Node("Reshape", ["x", "target"], "y").Output("y");
        AssertInferred(b.Graph, "y", "[N,12,5]");
        Assert.Equal(["N", "12", "5"], new ShapeTensorEvaluator(b.Graph).Evaluate("target")!.Elements.Select(e => e.ToString()));
    }

    [Fact]
    public void SqueezeUnsqueeze_AxesAsAttribute_Opset11()
    {
        var b = new GraphBuilder(11).Input("x", N, 1, 4, 1)
            .Node("Squeeze", ["x"], "s", A("axes", 1L, -1L)).Node("Unsqueeze", ["s"], "u", A("axes", 0L, 3L)).Node("Squeeze", ["u"], "all", A("axes", [0L]))
            .Output("u").Output("all");
        var g = AssertInferred(b.Graph, "u", "[1,N,4,1]");
        Assert.Equal("[N,4]", g.ValueInfos["s"].Shape!.ToString());
    }

    [Fact]
    public void SqueezeUnsqueeze_AxesAsInput_Opset13()
    {
        var b = new GraphBuilder(13).Input("x", N, 1, 4, 1).Ints("sa", 1, 3).Ints("ua", -1, 1)
            .Node("Squeeze", ["x", "sa"], "s").Node("Unsqueeze", ["s", "ua"], "u").Output("u");
        var g = AssertInferred(b.Graph, "u", "[N,1,4,1]");
        Assert.Equal("[N,4]", g.ValueInfos["s"].Shape!.ToString());
    }

    [Fact]
    public void Slice_Opset13_StepsAndNegativeIndices()
    {
        var b = new GraphBuilder(13).Input("x", N, 10, 8, 6)
            .Ints("starts", 1, -1, 0).Ints("ends", 9, -7, 100).Ints("axes", 1, 2, -1).Ints("steps", 3, -2, 4)
            .Node("Slice", ["x", "starts", "ends", "axes", "steps"], "y").Output("y");
        AssertInferred(b.Graph, "y", "[N,3,3,2]");
    }

    [Fact]
    public void Slice_Opset9_Attributes()
    {
        var b = new GraphBuilder(9).Input("x", N, 10, 8)
            .Node("Slice", ["x"], "y", A("starts", 2, -3), A("ends", 5, 1000), A("axes", 1, 2)).Output("y");
        AssertInferred(b.Graph, "y", "[N,3,3]");
    }

    [Fact]
    public void Concat_Gather_Shape()
    {
        var b = new GraphBuilder(13).Input("x", N, 3, 4).Input("y", N, 5, 4).Ints("idx", 2, 0)
            .Node("Concat", ["x", "y", "x"], "c", A("axis", -2L))
            .Node("Gather", ["c", "idx"], "g", A("axis", 1L))
            .Node("Shape", ["g"], "s")
            .Output("g").Output("s", DataType.Int64);
        var g = AssertInferred(b.Graph, "g", "[N,2,4]");
        Assert.Equal("[N,11,4]", g.ValueInfos["c"].Shape!.ToString());
        Assert.Equal("[3]", g.ValueInfos["s"].Shape!.ToString());
    }

    [Theory]
    [InlineData("MaxPool", 0, "[N,2,2,2]")]
    [InlineData("MaxPool", 1, "[N,2,3,3]")]
    [InlineData("AveragePool", 1, "[N,2,3,3]")]
    [InlineData("AveragePool", 0, "[N,2,2,2]")]
    public void Pooling_CeilMode(string op, long ceil, string expected)
    {
        var b = new GraphBuilder(13).Input("x", N, 2, 6, 6)
            .Node(op, ["x"], "y", A("kernel_shape", 3, 3), A("strides", 2, 2), A("ceil_mode", ceil)).Output("y");
        AssertInferred(b.Graph, "y", expected);
    }

    [Fact]
    public void Pooling_CeilMode_DropsWindowStartingInPadding()
    {
        // 5 + 1 + 1 padded, kernel 2, stride 2: ceil gives 4 windows but the 4th would start in the tail padding.
        var b = new GraphBuilder(13).Input("x", N, 1, 5, 5)
            .Node("MaxPool", ["x"], "y", A("kernel_shape", 2, 2), A("strides", 2, 2), A("pads", 1, 1, 1, 1), A("ceil_mode", 1L)).Output("y");
        AssertInferred(b.Graph, "y", "[N,1,3,3]");
    }

    [Fact]
    public void Pooling_AutoPad_AndGlobal()
    {
        var b = new GraphBuilder(13).Input("x", N, 2, 7, 9)
            .Node("AveragePool", ["x"], "a", A("kernel_shape", 3, 2), A("strides", 2, 2), A("auto_pad", "SAME_UPPER"))
            .Node("MaxPool", ["a"], "m", A("kernel_shape", 2, 2), A("auto_pad", "VALID"))
            .Node("GlobalAveragePool", ["m"], "gp").Output("gp");
        var g = AssertInferred(b.Graph, "gp", "[N,2,1,1]");
        Assert.Equal("[N,2,4,5]", g.ValueInfos["a"].Shape!.ToString());
        Assert.Equal("[N,2,3,4]", g.ValueInfos["m"].Shape!.ToString());
    }

    [Fact]
    public void QuantizeDequantize_Types()
    {
        var b = new GraphBuilder(13).Input("x", N, 4).Weight("scale", [], [0.1f])
            .Node("QuantizeLinear", ["x", "scale"], "q").Node("DequantizeLinear", ["q", "scale"], "dq").Output("dq");
        var g = AssertInferred(b.Graph, "dq", "[N,4]");
        Assert.Equal(DataType.UInt8, g.ValueInfos["q"].ElementType);
    }

    [Fact]
    public void ConstantNode_GivesTypeAndShape()
    {
        var b = new GraphBuilder(13).Input("x", N, 2, 3)
            .Node("Constant", [], "k", NodeAttribute.Of("value", Tensor.FromFloats("", [2, 3], [1, 2, 3, 4, 5, 6])))
            .Node("Constant", [], "axes", NodeAttribute.Of("value_ints", [0L]))
            .Node("Unsqueeze", ["k", "axes"], "k1").Node("Add", ["x", "k1"], "y").Output("y");
        var g = AssertInferred(b.Graph, "y", "[N,2,3]");
        Assert.Equal("[1,2,3]", g.ValueInfos["k1"].Shape!.ToString());
        Assert.Equal(DataType.Int64, g.ValueInfos["axes"].ElementType);
    }

    [Fact]
    public void UnknownOperator_LeftUninferred_WithoutError()
    {
        var b = new GraphBuilder().Input("x", N, 4).Node("MysteryOp", ["x"], "m").Node("Relu", ["m"], "r").Output("r");
        b.Graph.Nodes[0].Domain = "com.example";
        ShapeInference.Run(b.Graph);
        Assert.False(b.Graph.ValueInfos.ContainsKey("m"));
        Assert.False(b.Graph.ValueInfos.ContainsKey("r"));
    }

    [Fact]
    public void Gemm_InnerMismatch_IsMB3002NamingTheNode()
    {
        var b = new GraphBuilder().Input("a", N, 8).Weight("b", [16, 7]).Node("Gemm", ["a", "b"], "y", A("transB", 1L)).Output("y");
        var e = Assert.Throws<ModelBuildException>(() => ShapeInference.Run(b.Graph));
        Assert.Equal("MB3002", e.Code);
        Assert.Contains("y_node", e.Message);
    }

    [Theory]
    [InlineData("Concat")]
    [InlineData("Add")]
    [InlineData("MatMul")]
    [InlineData("Conv")]
    public void Mismatch_IsMB3002(string op)
    {
        var b = new GraphBuilder().Input("x", N, 3, 4, 4).Weight("w", op == "Conv" ? [2, 2, 1, 1] : [1, 5, 5, 4]);
        b.Node(op, ["x", "w"], "y", op == "Concat" ? [A("axis", 1L)] : []).Output("y");
        var e = Assert.Throws<ModelBuildException>(() => ShapeInference.Run(b.Graph));
        Assert.Equal("MB3002", e.Code);
        Assert.Contains($"'y_node' ({op})", e.Message);
    }

    [Fact]
    public void Reductions_ArgMax_TopK_CumSum()
    {
        var b = new GraphBuilder().Input("x", N, 3, 4, 5).Ints("axes", 0, 2).Ints("k", 2).Scalar("axis", 1)
            .Node("ReduceMean", ["x"], "mean", A("axes", 1, -1))
            .Node("ReduceSum", ["x", "axes"], "sum", A("keepdims", 0L))
            .Node("ReduceMax", ["x"], "all")
            .Node("ArgMax", ["x"], "arg", A("axis", -1L), A("keepdims", 0L))
            .Node("TopK", ["x", "k"], ["values", "indices"], A("axis", 1L))
            .Node("CumSum", ["x", "axis"], "cum")
            .Output("mean").Output("sum").Output("all").Output("arg", DataType.Int64).Output("values")
            .Output("indices", DataType.Int64).Output("cum");
        var g = AssertInferred(b.Graph, "mean", "[N,1,4,1]");
        Assert.Equal("[3,5]", g.ValueInfos["sum"].Shape!.ToString());
        Assert.Equal("[1,1,1,1]", g.ValueInfos["all"].Shape!.ToString());
        Assert.Equal("[N,3,4]", g.ValueInfos["arg"].Shape!.ToString());
        Assert.Equal(DataType.Int64, g.ValueInfos["arg"].ElementType);
        Assert.Equal("[N,2,4,5]", g.ValueInfos["values"].Shape!.ToString());
        Assert.Equal(DataType.Int64, g.ValueInfos["indices"].ElementType);
        Assert.Equal("[N,3,4,5]", g.ValueInfos["cum"].Shape!.ToString());
    }

    private static ModelGraph AssertInferred(ModelGraph graph, string value, string expected, bool requireComplete = true)
    {
        ShapeInference.Run(graph);
        Assert.Equal(expected, graph.ValueInfos[value].Shape!.ToString());
        var count = OrtReference.AssertInferredShapesMatch(graph, OrtReference.RandomInputs(graph, 2), 2, requireComplete);
        Assert.True(count > 0);
        return graph;
    }
}
