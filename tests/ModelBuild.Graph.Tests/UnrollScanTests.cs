using Google.Protobuf;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using ModelBuild.Onnx.Proto;

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
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("s_in"));
        body.Input.Add(Info("a_t"));
        body.Input.Add(Info("w_t"));
        body.Node.Add(Proto("Mul", ["s_in", "two"], "doubled"));
        body.Node.Add(Proto("Add", ["doubled", "a_t"], "plus"));
        body.Node.Add(Proto("Sub", ["plus", "w_t"], "s_out"));
        body.Node.Add(Proto("Mul", ["s_out", "s_out"], "sq"));
        body.Output.Add(Info("s_out"));
        body.Output.Add(Info("sq"));
        var scan = new Node("Scan", ["s", "a", "w"], ["final", "stacked"], "scan");
        scan.Attributes.Add(NodeAttribute.Of("num_scan_inputs", 2L));
        scan.Attributes.Add(NodeAttribute.Of("scan_input_axes", new[] { inputAxis, inputAxis }));
        scan.Attributes.Add(NodeAttribute.Of("scan_input_directions", new[] { inputDirection, 0L }));
        scan.Attributes.Add(NodeAttribute.Of("scan_output_directions", new[] { outputDirection }));
        scan.Attributes.Add(NodeAttribute.Opaque("body", new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }.ToByteArray()));
        b.Graph.Nodes.Add(scan);
        b.Output("final").Output("stacked");

        var inputs = OrtReference.RandomInputs(b.Graph, 2);
        var expected = OrtReference.Run(OnnxExporter.ToBytes(b.Graph), inputs);
        GraphOptimizer.Simplify(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Scan");
        var actual = OrtReference.Run(b.Graph, inputs);
        foreach (var name in new[] { "final", "stacked" })
        {
            Assert.Equal(expected[name].Shape, actual[name].Shape);
            OrtReference.AssertClose(expected[name].Floats!, actual[name].Floats!, name);
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    public void Opset_8_batched_scan_is_unrolled_per_batch_item(long direction)
    {
        // state s [2, 3] (batch 2), scan input a [2, 4, 3]; body: s' = s + a_t, out = s'·s'
        var b = new GraphBuilder(8).Input("s", 2, 3).Weight("a", [2, 4, 3]);
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("s_in"));
        body.Input.Add(Info("a_t"));
        body.Node.Add(Proto("Add", ["s_in", "a_t"], "s_out"));
        body.Node.Add(Proto("Mul", ["s_out", "s_out"], "sq"));
        body.Output.Add(Info("s_out"));
        body.Output.Add(Info("sq"));
        var scan = new Node("Scan", ["", "s", "a"], ["final", "stacked"], "scan");
        scan.Attributes.Add(NodeAttribute.Of("num_scan_inputs", 1L));
        scan.Attributes.Add(NodeAttribute.Of("directions", new[] { direction }));
        scan.Attributes.Add(NodeAttribute.Opaque("body", new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }.ToByteArray()));
        b.Graph.Nodes.Add(scan);
        b.Output("final").Output("stacked");

        var inputs = OrtReference.RandomInputs(b.Graph, 2);
        var expected = OrtReference.Run(OnnxExporter.ToBytes(b.Graph), inputs);
        GraphOptimizer.Simplify(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Scan");
        var actual = OrtReference.Run(b.Graph, inputs);
        foreach (var name in new[] { "final", "stacked" })
        {
            Assert.Equal(expected[name].Shape, actual[name].Shape);
            OrtReference.AssertClose(expected[name].Floats!, actual[name].Floats!, name);
        }
    }

    [Fact]
    public void Scan_of_unknown_length_is_left_alone()
    {
        var b = new GraphBuilder(13).Input("s", 3).Input("x", N, 3);
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Info("s_in"));
        body.Input.Add(Info("x_t"));
        body.Node.Add(Proto("Add", ["s_in", "x_t"], "s_out"));
        body.Output.Add(Info("s_out"));
        var scan = new Node("Scan", ["s", "x"], ["final"], "scan");
        scan.Attributes.Add(NodeAttribute.Of("num_scan_inputs", 1L));
        scan.Attributes.Add(NodeAttribute.Opaque("body", new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }.ToByteArray()));
        b.Graph.Nodes.Add(scan);
        b.Output("final");
        Assert.False(new UnrollScanPass().Run(b.Graph).Changed);
    }

    private static ValueInfoProto Info(string name) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
    };

    private static NodeProto Proto(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
