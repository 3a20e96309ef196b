using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Compression.Validation;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>The build's check of its own plan against ONNX Runtime: silent when right, naming the node when not.</summary>
public sealed class PlanVerifierTests
{
    private static readonly string s_model = TestPaths.Model("mnist_cnn_fc128.onnx");

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

    private static string PlanTokensNode(string line) =>
        Compression.Planning.PlanTokens.Unquote(Compression.Planning.PlanTokens.Split(line).First(t => t.StartsWith("node=", StringComparison.Ordinal))[5..]);
}
