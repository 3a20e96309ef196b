using ModelBuild.Graph.Passes;
using static ModelBuild.Graph.Tests.GraphBuilder;

namespace ModelBuild.Graph.Tests;

/// <summary>
/// <see cref="FoldConvScalePass"/> with <see cref="FuseBiasAddPass"/>: the learnable affine blocks paddle2onnx exports
/// after each Conv (a scalar or per-channel Mul, then an Add) fold into the Conv; ONNX Runtime gives the same outputs
/// before and after, and what must not fold stays a node.
/// </summary>
public sealed class FoldConvScaleTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData(new long[] { 1 }, true, true)]      // paddle2onnx: Mul(C[1], conv), then Add(·, C[1])
    [InlineData(new long[] { 1 }, false, false)]
    [InlineData(new long[0], true, false)]         // rank-0 scalar
    [InlineData(new long[] { 4, 1, 1 }, false, true)]
    [InlineData(new long[] { 1, 4, 1, 1 }, true, true)]
    public void Scale_and_shift_after_a_conv_fold_into_it(long[] scaleDims, bool scaleFirst, bool convBias)
    {
        var b = new GraphBuilder(11).Input("x", N, 3, 6, 6).Weight("w", [4, 3, 3, 3]).Weight("cb", [4])
            .Weight("s", scaleDims).Weight("t", scaleDims)
            .Node("Conv", convBias ? ["x", "w", "cb"] : ["x", "w"], "c", A("pads", 1, 1, 1, 1))
            .Node("Mul", scaleFirst ? ["s", "c"] : ["c", "s"], "m").Node("Add", ["m", "t"], "a").Node("Relu", ["a"], "y").Output("y");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);

        Assert.Equal(["Conv", "Relu"], b.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(3, b.Graph.Nodes[0].Inputs.Count);
    }

    [Fact]
    public void A_scale_along_the_last_spatial_axis_is_not_per_channel_and_stays()
    {
        // [4] broadcasts along W (size 4 here), not along the 4 channels.
        var b = new GraphBuilder(11).Input("x", N, 3, 4, 4).Weight("w", [4, 3, 1, 1]).Weight("s", [4])
            .Node("Conv", ["x", "w"], "c").Node("Mul", ["c", "s"], "y").Output("y");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);

        Assert.Contains(b.Graph.Nodes, n => n.OpType == "Mul");
    }

    [Fact]
    public void A_conv_output_with_another_reader_keeps_its_mul()
    {
        var b = new GraphBuilder(11).Input("x", N, 2, 4, 4).Weight("w", [2, 2, 1, 1]).Weight("s", [1])
            .Node("Conv", ["x", "w"], "c").Node("Mul", ["s", "c"], "m").Node("Add", ["m", "c"], "y").Output("y");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);

        Assert.Contains(b.Graph.Nodes, n => n.OpType == "Mul");
    }

    [Fact]
    public void A_weight_shared_by_two_convs_is_scaled_for_one_only()
    {
        // Both convs read w; only the first is scaled. The fold writes a new weight, so the second keeps w.
        var b = new GraphBuilder(11).Input("x", N, 2, 4, 4).Weight("w", [2, 2, 1, 1]).Weight("s", [1], [3f])
            .Node("Conv", ["x", "w"], "c1").Node("Mul", ["c1", "s"], "m").Node("Conv", ["x", "w"], "c2")
            .Node("Add", ["m", "c2"], "y").Output("y");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Mul");
        var convs = b.Graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.NotEqual(convs[0].Inputs[1], convs[1].Inputs[1]);
    }
}
