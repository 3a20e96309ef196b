using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>
/// The BRECQ-style block refit against none after the same low-bit quantisation (round to nearest, per channel):
/// held-out logit error against the original model and top-1 on a t10k slice. Round to nearest plus the refit costs
/// only a few ONNX Runtime passes, so both models run by default; the refit after AdaRound with
/// <c>MODELBUILD_RECONSTRUCTION_SLOW=1</c>.
/// </summary>
public sealed class BlockRefitAccuracyTests(ITestOutputHelper output)
{
    private const int TestImages = 2000;

    [Theory]
    [InlineData("mlp", "int3")]
    [InlineData("mlp", "int2")]
    [InlineData("cnn", "int3")]
    [InlineData("cnn", "int2")]
    public void Refit_lowers_the_output_error_of_round_to_nearest(string name, string weights)
    {
        var model = name == "mlp" ? MnistCase.Mlp : MnistCase.Cnn;

        var plain = Measure(model, $$"""{"weights":"{{weights}}"}""");
        var refit = Measure(model, $$"""{"weights":"{{weights}}","blockRefit":true}""");

        Assert.True(refit.Error < plain.Error, $"{name} {weights}: refit {refit.Error:0.0000} vs none {plain.Error:0.0000}");
        if (weights == "int2")
        {
            // int2 round to nearest loses points the refit wins back; at int3 both sit within a few images of fp32.
            Assert.True(refit.Top1 > plain.Top1, $"{name} {weights}: refit {refit.Top1:P2} vs none {plain.Top1:P2}");
        }
    }

    [OptInFact(AdaRoundAccuracyTests.Slow)]
    public void Refit_after_adaround_lowers_its_output_error_on_the_mlp()
    {
        var plain = Measure(MnistCase.Mlp, """{"weights":"int2","method":"adaround"}""");
        var refit = Measure(MnistCase.Mlp, """{"weights":"int2","method":"adaround","blockRefit":true}""");

        Assert.True(refit.Error < plain.Error, $"refit {refit.Error:0.0000} vs none {plain.Error:0.0000}");
    }

    private (double Error, double Top1) Measure(MnistCase model, string quantize)
    {
        var graph = MethodHarness.Decoded(MethodHarness.Apply(model, $$"""{"passes":[{"quantize":{{quantize}}}]}"""));
        var result = (HeldOut.OutputError(graph, model), MethodHarness.Accuracy(graph, model, TestImages));
        output.WriteLine(FormattableString.Invariant($"{model.File} {quantize}: held-out logit MSE {result.Item1:0.0000}, top-1 {result.Item2:P2} on {TestImages} t10k images"));
        return result;
    }
}
