using ModelBuild.Graph.Passes;
using ElementType = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Graph.Tests;

/// <summary><see cref="UnrollLoopPass"/>: a Loop of constant trip count unrolled gives ONNX Runtime's outputs of the Loop.</summary>
public sealed class UnrollLoopTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData(13, true)]
    [InlineData(11, false)]
    public void Constant_trip_count_loop_is_unrolled(int opset, bool withCondition)
    {
        var b = Model(opset, withCondition, passThrough: true);
        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Loop");
    }

    [Fact]
    public void Loop_that_may_stop_early_is_left_alone()
    {
        var b = Model(13, withCondition: true, passThrough: false);
        Assert.False(new UnrollLoopPass().Run(b.Graph).Changed);
    }

    /// <summary>
    /// <c>final, stacked = Loop(M = 3, cond, v)</c>, body: <c>v' = v·2 + float(i)</c>, scan output <c>v'</c>; the
    /// body's condition is its input passed through, or <c>v'[0, 0] &gt; 0</c> (may stop early).
    /// </summary>
    private static GraphBuilder Model(int opset, bool withCondition, bool passThrough)
    {
        var b = new GraphBuilder(opset).Input("v", N, 3).Scalar("M", 3);
        b.Graph.SetInitializer(Tensor.FromFloats("two", [], [2f]));
        if (withCondition)
        {
            b.Graph.SetInitializer(new Tensor("cond", DataType.Bool, [], [1]));
        }

        var body = new SubgraphBuilder("body")
            .Input("i", ElementType.Int64, scalar: true).Input("c_in", ElementType.Bool, scalar: true).Input("v_in")
            .Node("Cast", ["i"], "i_f", SubgraphBuilder.Int("to", 1))
            .Node("Mul", ["v_in", "two"], "doubled")
            .Node("Add", ["doubled", "i_f"], "v_out");
        if (passThrough)
        {
            body.Node("Identity", ["c_in"], "c_out");
        }
        else
        {
            body.Node("ReduceMax", ["v_out"], "m").Node("Greater", ["m", "two"], "c_out");
        }

        body.Node("Identity", ["v_out"], "scan_out").Output("c_out", ElementType.Bool).Output("v_out").Output("scan_out");
        var loop = new Node("Loop", ["M", withCondition ? "cond" : "", "v"], ["final", "stacked"], "loop");
        loop.Attributes.Add(body.ToAttribute("body"));
        b.Graph.Nodes.Add(loop);
        b.Output("final").Output("stacked");
        return b;
    }
}
