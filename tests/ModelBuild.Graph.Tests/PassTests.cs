using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using static ModelBuild.Graph.Tests.GraphBuilder;

namespace ModelBuild.Graph.Tests;

/// <summary>Each pass on a hand-built graph: the expected rewrite, and ONNX Runtime giving the same outputs before and after.</summary>
public sealed class PassTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FoldBatchNorm_IntoConv(bool convBias)
    {
        var b = new GraphBuilder(14).Input("x", N, 3, 8, 8).Weight("w", [4, 3, 3, 3]).Weight("cb", [4])
            .Weight("gamma", [4]).Weight("beta", [4]).Weight("mean", [4]).Weight("var", [4], [0.5f, 1.5f, 0.01f, 3f])
            .Node("Conv", convBias ? ["x", "w", "cb"] : ["x", "w"], "c", A("pads", 1, 1, 1, 1))
            .Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], "bn", A("epsilon", 1e-3f))
            .Node("Relu", ["bn"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Conv", "Relu"], g.Nodes.Select(n => n.OpType));
        Assert.Equal(3, g.Nodes[0].Inputs.Count);
        Assert.Equal(2, g.InitializerCount);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void FoldBatchNorm_IntoGemm(long transB, bool withC)
    {
        var b = new GraphBuilder(14).Input("x", N, 6).Weight("w", transB == 1 ? [5, 6] : [6, 5]).Weight("c", [5])
            .Weight("gamma", [5]).Weight("beta", [5]).Weight("mean", [5]).Weight("var", [5], [0.5f, 1.5f, 0.2f, 3f, 1f])
            .Node("Gemm", withC ? ["x", "w", "c"] : ["x", "w"], "gm", A("transB", transB), A("alpha", 0.5f), A("beta", 2f))
            .Node("BatchNormalization", ["gm", "gamma", "beta", "mean", "var"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal("Gemm", Assert.Single(g.Nodes).OpType);
        Assert.Equal("y", g.Nodes[0].Outputs[0]);
    }

    [Fact]
    public void FoldBatchNorm_Skipped_WhenConvOutputHasAnotherReader()
    {
        var b = new GraphBuilder(14).Input("x", N, 2, 4, 4).Weight("w", [2, 2, 1, 1])
            .Weight("gamma", [2]).Weight("beta", [2]).Weight("mean", [2]).Weight("var", [2], [1f, 2f])
            .Node("Conv", ["x", "w"], "c").Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], "bn")
            .Node("Add", ["bn", "c"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Contains(g.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void RemoveIdentity_KeepsOutputNames()
    {
        var b = new GraphBuilder(13).Input("x", N, 4).Input("z", N, 4)
            .Node("Relu", ["x"], "r").Node("Identity", ["r"], "i1").Node("Dropout", ["i1"], "d")
            .Node("Sigmoid", ["d"], "s").Node("Identity", ["s"], "y")
            .Node("Identity", ["z"], "zz")
            .Output("y").Output("zz");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Relu", "Sigmoid", "Identity"], g.Nodes.Select(n => n.OpType));
        Assert.Equal("y", g.Nodes[1].Outputs[0]);
        Assert.Equal(["y", "zz"], g.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void RemoveIdentity_KeepsDropoutWhoseMaskIsRead()
    {
        var b = new GraphBuilder(13).Input("x", N, 4)
            .Node("Dropout", ["x"], ["d", "mask"]).Node("Cast", ["mask"], "mf", A("to", (long)DataType.Float))
            .Node("Add", ["d", "mf"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Contains(g.Nodes, n => n.OpType == "Dropout");
    }

    [Fact]
    public void ConstantFolding_EvaluatesWeightOnlyNodes()
    {
        var b = new GraphBuilder(13).Input("x", N, 8).Weight("a", [2, 3]).Weight("c", [8]).Ints("perm0", 1, 0)
            .Ints("s", 6).Ints("ax", 0).Ints("st", 1).Ints("en", 3).Ints("idx", 2, 0, 1).Ints("shp", 8)
            .Node("Transpose", ["a"], "t", A("perm", 1, 0))
            .Node("Concat", ["t", "t"], "cc", A("axis", 1L))
            .Node("Gather", ["cc", "idx"], "g", A("axis", 0L))
            .Node("Slice", ["g", "st", "en", "ax"], "sl")
            .Node("Reshape", ["sl", "shp"], "r")
            .Node("Mul", ["r", "r"], "m").Node("Sub", ["m", "r"], "sb").Node("Div", ["sb", "r"], "dv")
            .Node("Unsqueeze", ["dv", "ax"], "u").Node("Squeeze", ["u", "ax"], "sq")
            .Node("Cast", ["sq"], "cd", A("to", (long)DataType.Double)).Node("Cast", ["cd"], "cf", A("to", (long)DataType.Float))
            .Node("Shape", ["c"], "sh").Node("Cast", ["sh"], "shf", A("to", (long)DataType.Float))
            .Node("Add", ["x", "cf"], "y0").Node("Add", ["y0", "shf"], "y1").Node("Add", ["y1", "c"], "y2")
            .Node("Relu", ["y2"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Add", "Add", "Add", "Relu"], g.Nodes.Select(n => n.OpType));
        Assert.Equal(DataType.Float, g.GetInitializer(g.Nodes[0].Inputs[1])!.DataType);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void ShapeSubgraph_DynamicFlatten_BecomesConstantReshape(long opset)
    {
        var b = new GraphBuilder(opset).Input("x", N, 3, 4, 4).Scalar("zero", 0).Ints("minus", -1).Ints("axes", 0).Weight("w", [8, 48])
            .Node("Relu", ["x"], "r").Node("Shape", ["r"], "shape").Node("Gather", ["shape", "zero"], "n", A("axis", 0L));
        if (opset >= 13)
        {
            b.Node("Unsqueeze", ["n", "axes"], "n1");
        }
        else
        {
            b.Node("Unsqueeze", ["n"], "n1", A("axes", [0L]));
        }

        b.Node("Concat", ["n1", "minus"], "target", A("axis", 0L)).Node("Reshape", ["r", "target"], "flat")
            .Node("Gemm", ["flat", "w"], "y", A("transB", 1L)).Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Relu", "Reshape", "Gemm"], g.Nodes.Select(n => n.OpType));
        Assert.Equal([0L, -1L], g.GetInitializer(g.Nodes[1].Inputs[1])!.ToInt64s());
        Assert.Equal("[N,48]", g.ValueInfos["flat"].Shape!.ToString());
    }

    [Fact]
    public void ShapeSubgraph_ShapeOfIntermediate_KeepsBatchAsCopy()
    {
        // Reshape(c, [Shape(c)[0], Shape(c)[1] * Shape(c)[2] * Shape(c)[3]]) where c is a Conv output.
        var b = new GraphBuilder(13).Input("x", N, 2, 5, 5).Weight("w", [3, 2, 2, 2]).Ints("i0", 0).Ints("i1", 1).Ints("i2", 2).Ints("i3", 3)
            .Node("Conv", ["x", "w"], "c").Node("Shape", ["c"], "s")
            .Node("Gather", ["s", "i0"], "g0").Node("Gather", ["s", "i1"], "g1").Node("Gather", ["s", "i2"], "g2").Node("Gather", ["s", "i3"], "g3")
            .Node("Mul", ["g1", "g2"], "m1").Node("Mul", ["m1", "g3"], "m2")
            .Node("Concat", ["g0", "m2"], "t", A("axis", 0L)).Node("Reshape", ["c", "t"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Conv", "Reshape"], g.Nodes.Select(n => n.OpType));
        Assert.Equal([0L, 48L], g.GetInitializer(g.Nodes[1].Inputs[1])!.ToInt64s());
        Assert.Equal("[N,48]", g.ValueInfos["y"].Shape!.ToString());
    }

    [Fact]
    public void ShapeSubgraph_WithTwoUnknownElements_IsLeftAlone()
    {
        var b = new GraphBuilder(13).Input("x", N, Dim.Sym("M"), 4).Ints("i", 1, 0).Ints("four", 4)
            .Node("Shape", ["x"], "s").Node("Gather", ["s", "i"], "g", A("axis", 0L))
            .Node("Concat", ["g", "four"], "t", A("axis", 0L)).Node("Reshape", ["x", "t"], "y").Output("y");
        var g = Simplify(b);
        Assert.Contains(g.Nodes, n => n.OpType == "Shape");
        var inputs = new Dictionary<string, OrtTensor> { ["x"] = new([2, 3, 4], new float[24]) };
        Assert.Equal([3L, 2L, 4L], OrtReference.Run(g, inputs)["y"].Shape);
    }

    [Fact]
    public void FuseBiasAdd_ConvAndMatMul()
    {
        var b = new GraphBuilder(8).Input("x", 1, 2, 6, 6).Weight("w", [3, 2, 3, 3]).Weight("cb", [3, 1, 1])
            .Weight("fc", [12, 4]).Weight("fb", [1, 4]).Ints("shape", 1, 12)
            .Node("Conv", ["x", "w"], "c", A("strides", 3, 3), A("pads", 1, 1, 1, 1)).Node("Add", ["cb", "c"], "cba")
            .Node("Reshape", ["cba", "shape"], "flat").Node("MatMul", ["flat", "fc"], "mm").Node("Add", ["mm", "fb"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["Conv", "Reshape", "Gemm"], g.Nodes.Select(n => n.OpType));
        Assert.Equal(0, g.Nodes[2].GetInt("transB", 0));
    }

    [Fact]
    public void FuseBiasAdd_SkipsBatchedMatMul_AndWrongBiasShape()
    {
        var b = new GraphBuilder(13).Input("x", N, 3, 4).Weight("fc", [4, 5]).Weight("fb", [5]).Input("z", N, 2, 4, 4)
            .Weight("w", [3, 2, 1, 1]).Weight("wrong", [1, 3, 4, 1])
            .Node("MatMul", ["x", "fc"], "mm").Node("Add", ["mm", "fb"], "y")
            .Node("Conv", ["z", "w"], "c").Node("Add", ["c", "wrong"], "y2").Output("y").Output("y2");
        var g = AssertSimplifiedMatches(b);
        Assert.Equal(["MatMul", "Add", "Conv", "Add"], g.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void UnsupportedOperators_AreCarriedThrough()
    {
        var b = new GraphBuilder(13).Input("x", N, 4).Node("Relu", ["x"], "r").Node("MysteryOp", ["r"], "m").Node("Identity", ["m"], "i")
            .Node("Sigmoid", ["i"], "y").Output("y");
        b.Graph.Nodes[1].Domain = "com.example";
        b.Graph.Nodes[1].SetAttribute(A("k", 3L));
        var g = Simplify(b);
        Assert.Equal(["Relu", "MysteryOp", "Sigmoid"], g.Nodes.Select(n => n.OpType));
        Assert.Equal(3, g.Nodes[1].GetInt("k", 0));
        Assert.Equal("com.example", g.Nodes[1].Domain);
        Assert.Equal(["r"], g.Nodes[1].Inputs);
        Assert.Equal(["m"], g.Nodes[2].Inputs);
    }

    [Fact]
    public void Simplify_IsIdempotent_OnRealModels()
    {
        foreach (var file in new[] { "mnist-8.onnx", "mnist_mlp_256.onnx", "mnist_cnn_fc128.onnx", "squeezenet_cifar10.onnx" })
        {
            var (_, graph) = RealModelTests.ImportAndSimplify(file);
            var before = OnnxExporter.ToBytes(graph);
            Assert.Empty(GraphOptimizer.Simplify(graph));
            Assert.Equal(before, OnnxExporter.ToBytes(graph));
        }
    }

    [Theory]
    [InlineData("Max", 1)]
    [InlineData("Min", 1)]
    [InlineData("Sum", 1)]
    [InlineData("Mean", 1)]
    [InlineData("Max", 3)]
    [InlineData("Min", 4)]
    [InlineData("Sum", 3)]
    public void VariadicOps_BecomeCopiesOrTwoInputChains_ThatComputeTheSame(string op, int inputs)
    {
        var b = new GraphBuilder(13).Input("x", N, 4).Weight("a", [4]).Weight("c", [1, 4]).Weight("d", [4])
            .Node(op, new[] { "x", "a", "c", "d" }.Take(inputs).ToArray(), "v").Node("Relu", ["v"], "y").Output("y");
        var g = AssertSimplifiedMatches(b);
        Assert.DoesNotContain(g.Nodes, n => n.OpType == op && n.Inputs.Count != 2);
    }

    private static ModelGraph Simplify(GraphBuilder b)
    {
        GraphOptimizer.Simplify(b.Graph);
        ShapeInference.Run(b.Graph);
        return b.Graph;
    }

    private static ModelGraph AssertSimplifiedMatches(GraphBuilder b)
    {
        var inputs = OrtReference.AssertSimplifyKeepsOutputs(b.Graph);
        OrtReference.AssertInferredShapesMatch(b.Graph, inputs, 2);
        return b.Graph;
    }
}
