using Google.Protobuf;
using ModelBuild.Cli.Inspection;
using ModelBuild.Graph;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelBuild.Cli.Tests;

/// <summary>
/// <c>modelbuild inspect</c> on models built here: subgraph ops and weights are counted at every depth, the
/// "Generated runtime" section names what a build would refuse, and hostile nesting is MB1003.
/// </summary>
public sealed class InspectSubgraphAndCoverageTests
{
    [Fact]
    public void Inspect_IfModel_CountsBranchNodesAndWeightsAtEveryDepth()
    {
        // then: Add(x, w) -> Mul -> Relu with initializer w[2]; else: Constant c[3] -> Sub, then a nested If whose
        // branches hold one Neg each.
        NodeProto[] thenNodes = [Node("Add", ["x", "w"], "t1"), Node("Mul", ["t1", "t1"], "t2"), Node("Relu", ["t2"], "then_out")];
        var thenBranch = Graph("then_g", thenNodes, "then_out", Floats("w", 1f, 2f));
        var inner = IfNode("if_inner", "cond", "inner_out",
            Graph("inner_then", [Node("Neg", ["x"], "n1")], "n1"),
            Graph("inner_else", [Node("Neg", ["x"], "n2")], "n2"));
        NodeProto[] elseNodes = [ConstantNode("c", Floats("c", 1f, 2f, 3f)), Node("Sub", ["x", "x"], "s"), inner];
        var elseBranch = Graph("else_g", elseNodes, "inner_out");
        var model = Model(IfNode("if_outer", "cond", "y", thenBranch, elseBranch));

        using var dir = new TempDir();
        var (code, output, error) = InspectCommandTests.Run("inspect", Save(model, dir.File("if.onnx")));

        Assert.Equal(0, code);
        Assert.Equal("", error);
        const int subgraphs = 4; // then, else, and the nested If's two branches
        var innerNodes = thenNodes.Length + elseNodes.Length + 1 + 1;
        Assert.Contains($"Operators ({1 + innerNodes} nodes, {innerNodes} of them inside {subgraphs} subgraphs):", output);
        Assert.Matches(@"\n\s+Neg\s+2\s+2\r?\n", output);
        Assert.Matches(@"\n\s+If\s+2\s+1\r?\n", output); // the outer If is in the main graph, the inner one in a branch
        // columns: nodes, weights, params
        Assert.Matches(@"\n\s+If 'if_outer'/then_branch\s+3\s+1\s+2\r?\n", output);
        Assert.Matches(@"\n\s+If 'if_outer'/else_branch\s+3\s+1\s+3\r?\n", output);
        Assert.Matches(@"\n\s+If 'if_outer'/else_branch/If 'if_inner'/then_branch\s+1\s+0\s+0\r?\n", output);
        Assert.Contains("Weights (2 tensors, 2 of them inside subgraphs):", output);
        Assert.Matches(@"\[If 'if_outer'/else_branch\] c\s+float32\s+\[3\]\s+3\s+12\s+Constant node", output);
        Assert.Contains("Parameters:   5 in 2 tensors", output); // w[2] + c[3]
        // The condition is a graph input, so the build refuses the outer node (its branches are never planned on their own).
        Assert.Contains("    If 'if_outer' (the condition is computed at run time", output);
    }

    [Fact]
    public void Inspect_UncoveredOp_NamesItInTheGeneratedRuntimeSectionAndExitsZero()
    {
        var model = Model(Node("Relu", ["x"], "a"), Node("LpPool", ["a"], "b", "lppool_me"), Node("Relu", ["b"], "y"));
        model.Graph.Input.RemoveAt(0); // no condition input here
        using var dir = new TempDir();
        var (code, output, error) = InspectCommandTests.Run("inspect", Save(model, dir.File("lppool.onnx")));

        Assert.Equal(0, code);
        Assert.Equal("", error);
        var section = output[output.IndexOf("Generated runtime", StringComparison.Ordinal)..];
        Assert.Contains("covers 2 of 3 nodes", section);
        Assert.Contains("a build fails with MB3003; not covered:", section);
        Assert.Contains("    LpPool 'lppool_me' (operator not supported)", section);
        Assert.Contains("covered op types: Relu", section);
    }

    [Fact]
    public void Inspect_Mnist8_IsFullyCovered()
    {
        var (code, output, _) = InspectCommandTests.Run("inspect", TestPaths.Model("mnist-8.onnx"));

        Assert.Equal(0, code);
        // 12 nodes in the file: the Reshape of a constant folds away, MatMul+Add becomes one Gemm and both Conv bias
        // Adds fuse into their Conv, leaving 8.
        Assert.Contains("Operators (12 nodes):", output);
        Assert.Contains("covers all 8 nodes", output);
        Assert.DoesNotContain("not covered", output);
        Assert.Contains("covered op types: Conv, Gemm, MaxPool, Relu, Reshape", output);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Inspect_NestingAsDeepAsTheReaderAccepts_IsWalkedToTheBottom(int tail)
    {
        // Each If level adds three message levels; the tail (0-2 more under the innermost node) makes one of the
        // three cases end exactly at the reader's limit, so an off-by-one in the walk's own limit fails here.
        using var dir = new TempDir();
        var deepest = Enumerable.Range(1, 40).TakeWhile(n => Reads(Nested(n, tail))).Last();
        Assert.InRange(deepest, 10, 39); // the reader's 64-level limit stops well before 40 levels of If

        var (code, output, error) = InspectCommandTests.Run("inspect", Save(Nested(deepest, tail), dir.File("deep.onnx")));

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains($"Subgraphs ({2 * deepest};", output); // each level has a then and an else branch
    }

    [Fact]
    public void Inspect_HostileNesting_IsMB1003()
    {
        using var dir = new TempDir();
        var (code, output, error) = InspectCommandTests.Run("inspect", Save(Nested(200), dir.File("hostile.onnx")));

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("error MB1003:", error);
    }

    [Fact]
    public void Subgraphs_DeepOpaqueAttributeBuiltInMemory_IsMB1003NotAStackOverflow()
    {
        // The bytes never went through OnnxReader, so the walk's own parse must enforce the limit.
        var attribute = Nested(200).Graph.Node[0].Attribute[0];
        var graph = new ModelGraph();
        var node = new Graph.Node("If", ["cond"], ["y"], "top");
        node.Attributes.Add(NodeAttribute.Opaque(attribute.Name, attribute.ToByteArray()));
        graph.Nodes.Add(node);

        var e = Assert.Throws<ModelBuildException>(() => Subgraphs.Of(graph, "memory.onnx"));
        Assert.Equal(OnnxErrors.LimitExceeded, e.Code);
    }

    private static bool Reads(ModelProto model)
    {
        try
        {
            OnnxReader.Read(model.ToByteArray(), baseDirectory: null);
            return true;
        }
        catch (ModelBuildException e) when (e.Code == OnnxErrors.LimitExceeded)
        {
            return false;
        }
    }

    /// <summary>A model whose If nests <paramref name="levels"/> deep through its then branch.</summary>
    /// <param name="levels">How many Ifs nest.</param>
    /// <param name="tail">Message levels under the innermost node: none, an int attribute, or a tensor attribute.</param>
    private static ModelProto Nested(int levels, int tail = 0)
    {
        var leaf = Node("Neg", ["x"], "leaf_out");
        if (tail > 0)
        {
            leaf.Attribute.Add(tail == 1
                ? new AttributeProto { Name = "a", Type = AttrType.Int, I = 1 }
                : new AttributeProto { Name = "a", Type = AttrType.Tensor, T = Floats("a", 1f) });
        }

        var body = Graph("leaf", [leaf], "leaf_out");
        for (var i = levels - 1; i > 0; i--)
        {
            body = Graph($"g{i}", [IfNode($"if{i}", "cond", $"o{i}", body, Graph($"e{i}", [Node("Neg", ["x"], $"n{i}")], $"n{i}"))], $"o{i}");
        }

        return Model(IfNode("if0", "cond", "y", body, Graph("e0", [Node("Neg", ["x"], "n0")], "n0")));
    }

    private static ModelProto Model(params NodeProto[] nodes) => new()
    {
        IrVersion = 8,
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } },
        Graph = new GraphProto
        {
            Name = "main",
            Node = { nodes },
            Input = { Value("cond", TensorProto.Types.DataType.Bool), Value("x", TensorProto.Types.DataType.Float, 2) },
            Output = { Value("y", TensorProto.Types.DataType.Float, 2) },
        },
    };

    private static GraphProto Graph(string name, NodeProto[] nodes, string output, params TensorProto[] initializers) => new()
    {
        Name = name,
        Node = { nodes },
        Initializer = { initializers },
        Output = { new ValueInfoProto { Name = output } },
    };

    private static NodeProto Node(string op, string[] inputs, string output, string name = "") =>
        new() { OpType = op, Input = { inputs }, Output = { output }, Name = name };

    private static NodeProto IfNode(string name, string cond, string output, GraphProto then, GraphProto otherwise) => new()
    {
        OpType = "If",
        Name = name,
        Input = { cond },
        Output = { output },
        Attribute =
        {
            new AttributeProto { Name = "then_branch", Type = AttrType.Graph, G = then },
            new AttributeProto { Name = "else_branch", Type = AttrType.Graph, G = otherwise },
        },
    };

    private static NodeProto ConstantNode(string output, TensorProto value) => new()
    {
        OpType = "Constant",
        Output = { output },
        Attribute = { new AttributeProto { Name = "value", Type = AttrType.Tensor, T = value } },
    };

    private static TensorProto Floats(string name, params float[] values) => new()
    {
        Name = name,
        DataType = (int)TensorProto.Types.DataType.Float,
        Dims = { values.Length },
        FloatData = { values },
    };

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)type,
                Shape = new TensorShapeProto { Dim = { dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }) } },
            },
        },
    };

    private static string Save(ModelProto model, string path)
    {
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
