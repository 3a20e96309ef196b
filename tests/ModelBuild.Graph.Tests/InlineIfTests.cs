using Google.Protobuf;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Tests;

/// <summary>
/// <see cref="InlineConstantIfPass"/>: an If with a constant condition becomes its taken branch (ONNX Runtime gives
/// the same outputs before and after); one with a computed condition stays.
/// </summary>
public sealed class InlineIfTests
{
    private static readonly Dim N = Dim.Sym("N");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Constant_condition_inlines_the_taken_branch_with_unique_names(bool condition)
    {
        var b = Model();
        b.Graph.SetInitializer(new Tensor("cond", DataType.Bool, [], [condition ? (byte)1 : (byte)0]));
        var original = OnnxExporter.ToBytes(b.Graph);
        var inputs = OrtReference.RandomInputs(b.Graph, 2);
        var expected = OrtReference.Run(original, inputs);

        GraphOptimizer.Simplify(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "If");
        Assert.Equal(condition ? ["Neg", "Add", "Add", "Relu", "Mul"] : ["Neg", "Neg", "Mul"], b.Graph.Nodes.Select(n => n.OpType));
        // Outer values (x, w, t) are read as they are; the branch's own values got names prefixed by the If's.
        Assert.All(b.Graph.Nodes.SelectMany(n => n.Outputs).Where(o => o is not ("t" or "r" or "y")), o => Assert.StartsWith("if/", o, StringComparison.Ordinal));
        var actual = OrtReference.Run(b.Graph, inputs);
        OrtReference.AssertClose(expected["y"].Floats!, actual["y"].Floats!, "y");
    }

    [Fact]
    public void Computed_condition_is_left_alone()
    {
        var b = Model();
        b.Graph.Inputs.Add(new ValueInfo("cond", DataType.Bool, TensorShape.Scalar));
        Assert.False(new InlineConstantIfPass().Run(b.Graph).Changed);
        Assert.Contains(b.Graph.Nodes, n => n.OpType == "If");
    }

    /// <summary>
    /// <c>t = Neg(x)</c>; <c>r = If(cond)</c> with then = Relu(x + k + w)
    /// (k a Constant node in the branch, w an outer weight), else = Neg(x); <c>y = r · t</c>.
    /// </summary>
    private static GraphBuilder Model()
    {
        var b = new GraphBuilder(13).Input("x", N, 4).Weight("w", [4]);
        b.Node("Neg", ["x"], "t");
        var k = OnnxTensors.ToProto(Tensor.FromFloats("k", [4], [0.5f, -0.25f, 1f, -2f]));
        var then = Branch("then", "out",
            Constant("k", k),
            Proto("Add", ["x", "k"], "s"),
            Proto("Add", ["s", "w"], "t2"),
            Proto("Relu", ["t2"], "out"));
        var otherwise = Branch("else", "neg", Proto("Neg", ["x"], "neg"));
        var node = new Node("If", ["cond"], ["r"], "if");
        node.Attributes.Add(GraphAttribute("then_branch", then));
        node.Attributes.Add(GraphAttribute("else_branch", otherwise));
        b.Graph.Nodes.Add(node);
        b.Node("Mul", ["r", "t"], "y").Output("y");
        return b;
    }

    private static NodeAttribute GraphAttribute(string name, GraphProto g) =>
        NodeAttribute.Opaque(name, new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g }.ToByteArray());

    private static GraphProto Branch(string name, string output, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = name };
        g.Node.AddRange(nodes);
        g.Output.Add(new ValueInfoProto
        {
            Name = output,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return g;
    }

    private static NodeProto Proto(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto Constant(string output, TensorProto value)
    {
        var node = Proto("Constant", [], output);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
        return node;
    }
}
