using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>
/// The inequality: one-shot SparseGPT beats global magnitude pruning at the same unstructured sparsity
/// (no fine-tuning). Both use the same per-layer sparsities (SparseGPT's global scope takes them from the global
/// magnitude ranking), so the comparison isolates mask choice and weight updates. Calibration on train-2k (all 2000
/// images for the MLP, 1024 for the CNN, whose 3136-input Hessian needs more than 256 rows), accuracy on all of t10k.
/// </summary>
public sealed class SparseGptAccuracyTests(ITestOutputHelper output)
{
    public static TheoryData<string, double> Cases => new()
    {
        { "mlp", 0.90 },
        { "mlp", 0.95 },
        { "cnn", 0.90 },
        { "cnn", 0.95 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sparsegpt_beats_global_magnitude(string model, double sparsity)
    {
        var mnist = model == "mlp" ? MnistCase.Mlp : MnistCase.Cnn;
        var calibration = model == "mlp" ? 2000 : 1024;
        var magnitude = Measure(mnist, Prune($"\"method\":\"magnitude\",\"scope\":\"global\",\"sparsity\":{sparsity}"));
        var sparseGpt = Measure(mnist, Prune($"\"method\":\"sparsegpt\",\"scope\":\"global\",\"sparsity\":{sparsity}"), calibration);
        output.WriteLine($"{model} {sparsity:P0}: magnitude {magnitude:P2}, sparsegpt {sparseGpt:P2}");

        Assert.True(sparseGpt > magnitude, $"SparseGPT {sparseGpt:P2} should beat magnitude {magnitude:P2} at {sparsity:P0}.");
    }

    /// <summary>A one-pass manifest <c>{"passes":[{"prune":{settings}}]}</c>, numbers in invariant culture.</summary>
    internal static string Prune(FormattableString settings, string pass = "prune") =>
        "{\"passes\":[{\"" + pass + "\":{" + FormattableString.Invariant(settings) + "}}]}";

    internal static double Measure(MnistCase model, string manifest, int calibration = 256) =>
        MethodHarness.Accuracy(MethodHarness.Decoded(MethodHarness.Apply(model, manifest, calibration)), model);
}
