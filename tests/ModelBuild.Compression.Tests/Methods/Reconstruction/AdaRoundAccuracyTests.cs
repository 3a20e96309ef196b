using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>
/// AdaRound against round to nearest and GPTQ on the same shared model, per channel: the logits' squared error
/// against the original model on held-out train-2k images (calibration: the first 256) and top-1 on a t10k slice.
/// int2 on the MLP runs by default (one AdaRound run, seconds); the rest with <c>MODELBUILD_RECONSTRUCTION_SLOW=1</c>.
/// </summary>
public sealed class AdaRoundAccuracyTests(ITestOutputHelper output)
{
    internal const string Slow = "MODELBUILD_RECONSTRUCTION_SLOW";
    private const int TestImages = 2000;

    [Fact]
    public void Adaround_beats_round_to_nearest_at_int2_on_the_mlp() => BeatsRoundToNearest(MnistCase.Mlp, "int2");

    [OptInFact(Slow)]
    public void Adaround_beats_round_to_nearest_at_int3_on_the_mlp() => BeatsRoundToNearest(MnistCase.Mlp, "int3");

    [OptInTheory(Slow)]
    [InlineData("int3")]
    [InlineData("int2")]
    public void Adaround_beats_round_to_nearest_on_the_cnn(string weights) => BeatsRoundToNearest(MnistCase.Cnn, weights);

    [OptInFact(Slow)]
    public void Adaround_has_a_smaller_output_error_than_gptq_at_int3_on_the_mlp()
    {
        var gptq = Measure(MnistCase.Mlp, """{"weights":"int3","method":"gptq"}""");
        var ada = Measure(MnistCase.Mlp, """{"weights":"int3","method":"adaround"}""");

        Assert.True(ada.Error < gptq.Error, $"AdaRound {ada.Error:0.0000} vs GPTQ {gptq.Error:0.0000}");
    }

    private void BeatsRoundToNearest(MnistCase model, string weights)
    {
        var rtn = Measure(model, $$"""{"weights":"{{weights}}"}""");
        var ada = Measure(model, $$"""{"weights":"{{weights}}","method":"adaround"}""");

        Assert.True(ada.Error < rtn.Error, $"{weights}: AdaRound {ada.Error:0.0000} vs round to nearest {rtn.Error:0.0000}");
        // Top-1 on a slice moves by a few images either way when both are near the float model: allow 0.2 pp.
        Assert.True(ada.Top1 >= rtn.Top1 - 0.002, $"{weights}: AdaRound {ada.Top1:P2} vs round to nearest {rtn.Top1:P2}");
    }

    private (double Error, double Top1) Measure(MnistCase model, string quantize)
    {
        var graph = MethodHarness.Decoded(MethodHarness.Apply(model, $$"""{"passes":[{"quantize":{{quantize}}}]}"""));
        var result = (HeldOut.OutputError(graph, model), MethodHarness.Accuracy(graph, model, TestImages));
        output.WriteLine(FormattableString.Invariant($"{model.File} {quantize}: held-out logit MSE {result.Item1:0.0000}, top-1 {result.Item2:P2} on {TestImages} t10k images"));
        return result;
    }
}
