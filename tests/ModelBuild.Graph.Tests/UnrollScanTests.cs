using ModelBuild.Graph.Passes;

namespace ModelBuild.Graph.Tests;

/// <summary><see cref="UnrollScanPass"/>: a Scan of static length unrolled gives ONNX Runtime's outputs of the Scan.</summary>
public sealed class UnrollScanTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData(13, 0L, 0L, 0L)]
    [InlineData(13, 1L, 1L, 1L)] // reverse input and output, scanned on axis 1
    [InlineData(11, 0L, 1L, 0L)] // Unsqueeze with an axes attribute
    public void Unrolled_scan_matches_onnx_runtime(int opset, long inputAxis, long inputDirection, long outputDirection)
    {
        // state s [N, 3]; scan inputs a, b of 4 steps (a weight and a second weight); body: s' = s·2 + a_t − b_t, out = s'·s'
        var b = new GraphBuilder(opset).Input("s", N, 3).Weight("a", inputAxis == 0 ? [4, 3] : [3, 4]).Weight("w", inputAxis == 0 ? [4, 3] : [3, 4]);
        b.Graph.SetInitializer(Tensor.FromFloats("two", [], [2f]));
        var body = new SubgraphBuilder("body").Input("s_in").Input("a_t").Input("w_t")
            .Node("Mul", ["s_in", "two"], "doubled").Node("Add", ["doubled", "a_t"], "plus").Node("Sub", ["plus", "w_t"], "s_out")
            .Node("Mul", ["s_out", "s_out"], "sq").Output("s_out").Output("sq");
        b.Node("Scan", ["s", "a", "w"], ["final", "stacked"],
            NodeAttribute.Of("num_scan_inputs", 2L),
            NodeAttribute.Of("scan_input_axes", new[] { inputAxis, inputAxis }),
            NodeAttribute.Of("scan_input_directions", new[] { inputDirection, 0L }),
            NodeAttribute.Of("scan_output_directions", new[] { outputDirection }),
            body.ToAttribute("body"));
        b.Output("final").Output("stacked");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Scan");
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    public void Opset_8_batched_scan_is_unrolled_per_batch_item(long direction)
    {
        // state s [2, 3] (batch 2), scan input a [2, 4, 3]; body: s' = s + a_t, out = s'·s'
        var b = new GraphBuilder(8).Input("s", 2, 3).Weight("a", [2, 4, 3]);
        var body = new SubgraphBuilder("body").Input("s_in").Input("a_t")
            .Node("Add", ["s_in", "a_t"], "s_out").Node("Mul", ["s_out", "s_out"], "sq").Output("s_out").Output("sq");
        b.Node("Scan", ["", "s", "a"], ["final", "stacked"],
            NodeAttribute.Of("num_scan_inputs", 1L), NodeAttribute.Of("directions", new[] { direction }), body.ToAttribute("body"));
        b.Output("final").Output("stacked");

        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Scan");
    }

    [Fact]
    public void Scan_of_unknown_length_is_left_alone()
    {
        var b = new GraphBuilder(13).Input("s", 3).Input("x", N, 3);
        var body = new SubgraphBuilder("body").Input("s_in").Input("x_t").Node("Add", ["s_in", "x_t"], "s_out").Output("s_out");
        b.Node("Scan", ["s", "x"], ["final"], NodeAttribute.Of("num_scan_inputs", 1L), body.ToAttribute("body"));
        b.Output("final");
        Assert.False(new UnrollScanPass().Run(b.Graph).Changed);
    }
}
