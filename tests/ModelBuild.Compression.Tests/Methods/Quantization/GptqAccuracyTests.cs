using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

/// <summary>
/// The inequality: at 3 and 2 bits per channel, GPTQ (calibrated on train-2k) keeps more t10k top-1
/// accuracy than round to nearest.
/// </summary>
public sealed class GptqAccuracyTests
{
    [Theory]
    [InlineData("mlp", "int3")]
    [InlineData("mlp", "int2")]
    [InlineData("cnn", "int3")]
    [InlineData("cnn", "int2")]
    public void Gptq_beats_round_to_nearest_per_channel(string model, string weights)
    {
        var mnist = model == "mlp" ? MnistCase.Mlp : MnistCase.Cnn;
        var rtn = Accuracy(mnist, $$"""{"weights":"{{weights}}"}""");
        var gptq = Accuracy(mnist, $$"""{"weights":"{{weights}}","method":"gptq"}""");

        Assert.True(gptq > rtn, $"{model} {weights}: GPTQ {gptq:P2} vs RTN {rtn:P2}");
    }

    internal static double Accuracy(MnistCase model, string quantize, int calibrationCount = CalibrationCount)
    {
        var context = MethodHarness.Apply(model, $$"""{"passes":[{"quantize":{{quantize}}}]}""", calibrationCount);
        return MethodHarness.Accuracy(MethodHarness.Decoded(context), model);
    }

    internal const int CalibrationCount = 256;
}
