using Google.Protobuf;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using ModelBuild.Onnx.Proto;

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
        var inputs = OrtReference.RandomInputs(b.Graph, 2);
        var expected = OrtReference.Run(OnnxExporter.ToBytes(b.Graph), inputs);
        GraphOptimizer.Simplify(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Loop");
        var actual = OrtReference.Run(b.Graph, inputs);
        foreach (var name in new[] { "final", "stacked" })
        {
            Assert.Equal(expected[name].Shape, actual[name].Shape);
            OrtReference.AssertClose(expected[name].Floats!, actual[name].Floats!, name);
        }
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

        var body = new GraphProto { Name = "body" };
        body.Input.Add(Scalar(Info("i", TensorProto.Types.DataType.Int64)));
        body.Input.Add(Scalar(Info("c_in", TensorProto.Types.DataType.Bool)));
        body.Input.Add(Info("v_in", TensorProto.Types.DataType.Float));
        var cast = Proto("Cast", ["i"], "i_f");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        body.Node.Add(cast);
        body.Node.Add(Proto("Mul", ["v_in", "two"], "doubled"));
        body.Node.Add(Proto("Add", ["doubled", "i_f"], "v_out"));
        if (passThrough)
        {
            body.Node.Add(Proto("Identity", ["c_in"], "c_out"));
        }
        else
        {
            body.Node.Add(Proto("ReduceMax", ["v_out"], "m"));
            body.Node.Add(Proto("Greater", ["m", "two"], "c_out"));
        }

        body.Node.Add(Proto("Identity", ["v_out"], "scan_out"));
        body.Output.Add(Info("c_out", TensorProto.Types.DataType.Bool));
        body.Output.Add(Info("v_out", TensorProto.Types.DataType.Float));
        body.Output.Add(Info("scan_out", TensorProto.Types.DataType.Float));
        var loop = new Node("Loop", ["M", withCondition ? "cond" : "", "v"], ["final", "stacked"], "loop");
        loop.Attributes.Add(NodeAttribute.Opaque("body", new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }.ToByteArray()));
        b.Graph.Nodes.Add(loop);
        b.Output("final").Output("stacked");
        return b;
    }

    private static ValueInfoProto Info(string name, TensorProto.Types.DataType type) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } },
    };

    /// <summary>ORT wants the iteration number and condition declared as scalars.</summary>
    private static ValueInfoProto Scalar(ValueInfoProto info)
    {
        info.Type.TensorType.Shape = new TensorShapeProto();
        return info;
    }

    private static NodeProto Proto(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
