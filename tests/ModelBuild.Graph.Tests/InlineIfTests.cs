using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

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
        OrtReference.AssertSimplifyKeepsOutputs(b.Graph);

        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "If");
        Assert.Equal(condition ? ["Neg", "Add", "Add", "Relu", "Mul"] : ["Neg", "Neg", "Mul"], b.Graph.Nodes.Select(n => n.OpType));
        // Outer values (x, w, t) are read as they are; the branch's own values got names prefixed by the If's.
        Assert.All(b.Graph.Nodes.SelectMany(n => n.Outputs).Where(o => o is not ("t" or "r" or "y")), o => Assert.StartsWith("if/", o, StringComparison.Ordinal));
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
        var then = new SubgraphBuilder("then").Constant("k", k)
            .Node("Add", ["x", "k"], "s").Node("Add", ["s", "w"], "t2").Node("Relu", ["t2"], "out").Output("out");
        var otherwise = new SubgraphBuilder("else").Node("Neg", ["x"], "neg").Output("neg");
        var node = new Node("If", ["cond"], ["r"], "if");
        node.Attributes.Add(then.ToAttribute("then_branch"));
        node.Attributes.Add(otherwise.ToAttribute("else_branch"));
        b.Graph.Nodes.Add(node);
        b.Node("Mul", ["r", "t"], "y").Output("y");
        return b;
    }
}
