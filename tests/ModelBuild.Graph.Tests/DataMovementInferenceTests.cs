using ModelBuild.Graph.Inference;
using static ModelBuild.Graph.Tests.GraphBuilder;

namespace ModelBuild.Graph.Tests;

/// <summary>Shape inference of the data-movement operators: the expected shape, and ONNX Runtime's actual shapes (N = 2).</summary>
public sealed class DataMovementInferenceTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Fact]
    public void Pad_AddsBothSides_AndCrops()
    {
        var b = new GraphBuilder().Input("x", N, 3, 8).Ints("pads", 0, 1, -2, 0, 2, 3)
            .Node("Pad", ["x", "pads"], "y", A("mode", "constant")).Output("y");
        AssertInferred(b.Graph, "y", "[N,6,9]");
    }

    [Fact]
    public void Pad_WithAxes_Opset18()
    {
        var b = new GraphBuilder(18).Input("x", N, 3, 8).Ints("pads", 2, 1, 0, 1).Ints("axes", -1, 1)
            .Node("Pad", ["x", "pads", "", "axes"], "y", A("mode", "edge")).Output("y");
        AssertInferred(b.Graph, "y", "[N,5,10]"); // axis 1: 3 + 1 + 1, axis 2: 8 + 2 + 0
    }

    [Fact]
    public void Expand_Tile_And_DepthSpace()
    {
        var b = new GraphBuilder().Input("x", N, 8, 1, 3).Ints("shape", 1, 4, 1).Ints("repeats", 1, 1, 2, 3)
            .Node("Expand", ["x", "shape"], "e").Node("Tile", ["e", "repeats"], "t")
            .Node("DepthToSpace", ["t"], "d", A("blocksize", 2L), A("mode", "CRD"))
            .Node("SpaceToDepth", ["d"], "s", A("blocksize", 2L)).Output("s");
        var g = AssertInferred(b.Graph, "s", "[N,8,8,9]");
        Assert.Equal("[N,8,4,3]", g.ValueInfos["e"].Shape!.ToString());
        Assert.Equal("[N,2,16,18]", g.ValueInfos["d"].Shape!.ToString());
    }

    [Fact]
    public void Split_UnevenNumOutputs_Opset18()
    {
        var b = new GraphBuilder(18).Input("x", N, 7)
            .Node("Split", ["x"], ["a", "b", "c"], A("axis", 1L), A("num_outputs", 3L)).Output("a").Output("b").Output("c");
        var g = AssertInferred(b.Graph, "c", "[N,1]");
        Assert.Equal("[N,3]", g.ValueInfos["a"].Shape!.ToString());
    }

    [Fact]
    public void Split_ConstantSizes()
    {
        var b = new GraphBuilder().Input("x", 4, N).Ints("split", 1, 3)
            .Node("Split", ["x", "split"], ["a", "b"]).Output("a").Output("b");
        AssertInferred(b.Graph, "b", "[3,N]");
    }

    [Fact]
    public void GatherND_TuplesSelectSlices()
    {
        var b = new GraphBuilder().Input("x", N, 5, 6).Ints("i", 0, 1, 1, 2).Ints("shape", 2, 2)
            .Node("Reshape", ["i", "shape"], "idx")
            .Node("GatherND", ["x", "idx"], "y").Output("y");
        AssertInferred(b.Graph, "y", "[2,6]");
    }

    [Fact]
    public void Range_OfConstants_NonZero_And_OneHot()
    {
        var b = new GraphBuilder().Input("x", N, 3).Scalar("start", 10).Scalar("limit", 1).Scalar("delta", -4).Scalar("depth", 5).Ints("values", 0, 1)
            .Node("Range", ["start", "limit", "delta"], "r")
            .Node("NonZero", ["x"], "nz")
            .Node("OneHot", ["r", "depth", "values"], "oh", A("axis", 0L)).Output("oh", DataType.Int64).Output("nz", DataType.Int64);
        ShapeInference.Run(b.Graph);
        Assert.Equal("[3]", b.Graph.ValueInfos["r"].Shape!.ToString());
        Assert.Equal("[2,?]", b.Graph.ValueInfos["nz"].Shape!.ToString());
        Assert.Equal(DataType.Int64, b.Graph.ValueInfos["nz"].ElementType);
        AssertInferred(b.Graph, "oh", "[5,3]", requireComplete: false);
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
