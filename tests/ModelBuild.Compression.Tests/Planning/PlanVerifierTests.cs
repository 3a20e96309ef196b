using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Validation;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>The build's check of its own plan against ONNX Runtime: silent when right, naming the node when not.</summary>
public sealed class PlanVerifierTests
{
    private static readonly string s_model = TestPaths.Model("mnist_cnn_fc128.onnx");

    [Theory]
    [InlineData(float.PositiveInfinity, 3.3e38f, true)] // a sum that overflowed in ONNX Runtime's order only
    [InlineData(-2.9e38f, float.NegativeInfinity, true)] // ... or in ours
    [InlineData(float.PositiveInfinity, 5f, false)] // ∞ for an ordinary value: a kernel bug, reported as one
    [InlineData(1f, float.NaN, false)]
    [InlineData(1f, 2f, false)] // both finite: an ordinary difference
    public void Overflow_is_told_apart_from_a_wrong_value(float expected, float actual, bool overflow)
    {
        var reason = PlanVerifier.OverflowAt([0f, expected], [0f, actual]);
        Assert.Equal(overflow, reason is not null);
        if (overflow)
        {
            Assert.StartsWith("element 1 is ", reason);
            Assert.Contains("overflows float32", reason);
        }
    }

    [Fact]
    public void A_faithful_plan_passes_and_says_what_was_checked()
    {
        var (plan, blob) = ExactPlanner.Build(s_model);
        var note = PlanVerifier.Check(plan, blob, File.ReadAllBytes(s_model), ExactPlanner.Prepare(s_model), TestServices.Default.Runner!, null, s_model);
        Assert.StartsWith("generated code checked against ONNX Runtime", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_op_fails_with_MB5004_naming_its_node()
    {
        // A planner rule gone wrong: the first fused Relu is dropped from its Conv.
        var (plan, blob) = ExactPlanner.Build(s_model);
        var line = plan.Split('\n').First(l => l.StartsWith("op Conv ", StringComparison.Ordinal) && l.Contains("Act=Activation.Relu", StringComparison.Ordinal));
        var node = PlanTokensNode(line);
        var broken = plan.Replace(line, line.Replace("Act=Activation.Relu", "Act=Activation.None", StringComparison.Ordinal), StringComparison.Ordinal);

        var e = Assert.Throws<ModelBuildException>(() =>
            PlanVerifier.Check(broken, blob, File.ReadAllBytes(s_model), ExactPlanner.Prepare(s_model), TestServices.Default.Runner!, null, s_model));

        Assert.Equal("MB5004", e.Code);
        Assert.Contains($"first at node '{node}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mnist_cnn_fc128.onnx")]
    [InlineData("squeezenet_cifar10.onnx")] // Fire convs write their channels of a Concat in place: not compared alone
    public void A_faulty_kernel_fails_with_MB5004_naming_its_node_not_a_later_one(string file)
    {
        // A kernel gone wrong: the model's last Conv writes one element off. The ops after it diverge as well; the
        // check must name the Conv, the first that does.
        var model = TestPaths.Model(file);
        var (plan, blob) = ExactPlanner.Build(model);
        var target = PlanInterpreter.Load(plan, WeightBlob.Load(blob)).Ops.Last(op => op is ConvOp);
        Op Plant(Op op) => op.Node == target.Node ? new OneElementOff(op, ((ConvOp)op).Y) { Node = op.Node } : op;

        var e = Assert.Throws<ModelBuildException>(() =>
            PlanVerifier.Check(plan, blob, File.ReadAllBytes(model), ExactPlanner.Prepare(model), TestServices.Default.Runner!, null, model, Plant));

        Assert.Equal("MB5004", e.Code);
        Assert.Contains($"first at node '{target.Node}' (OneElement", e.Message, StringComparison.Ordinal);

        // The seam itself changes nothing when it plants nothing.
        Assert.StartsWith("generated code checked", PlanVerifier.Check(plan, blob, File.ReadAllBytes(model), ExactPlanner.Prepare(model),
            TestServices.Default.Runner!, null, model, op => op), StringComparison.Ordinal);
    }

    /// <summary>Runs the real kernel, then moves its first output element by more than the tolerance.</summary>
    private sealed record OneElementOff(Op Inner, int Y) : Op
    {
        public override void Execute(OpContext c)
        {
            Inner.Execute(c);
            var y = c.OutputFloats(Y, c.Shape(Y).ToArray());
            y[0] += 0.5f + MathF.Abs(y[0]);
        }
    }

    private static string PlanTokensNode(string line) =>
        Compression.Planning.PlanTokens.Unquote(Compression.Planning.PlanTokens.Split(line).First(t => t.StartsWith("node=", StringComparison.Ordinal))[5..]);
}
