using System.Diagnostics;
using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>
/// The README's comparison table for AdaRound and the block refit (round to nearest, GPTQ, AdaRound, each with and
/// without the refit; int3 and int2 per channel; both shared MNIST models). Slow (minutes): runs only with
/// <c>MODELBUILD_RECONSTRUCTION_FIGURES=1</c>.
/// </summary>
public sealed class ReconstructionFigures(ITestOutputHelper output)
{
    [OptInFact("MODELBUILD_RECONSTRUCTION_FIGURES")]
    public void Print_the_comparison_table()
    {
        var models = (Environment.GetEnvironmentVariable("MODELBUILD_RECONSTRUCTION_MODELS") ?? "mlp,cnn").Split(',');
        var methods = (Environment.GetEnvironmentVariable("MODELBUILD_RECONSTRUCTION_METHODS") ?? "rtn,gptq,adaround").Split(',');
        output.WriteLine("| model | weights | method | block refit | held-out output MSE | t10k top-1 | CPU seconds (process, incl. ONNX Runtime) |");
        foreach (var name in models)
        {
            var model = name == "mlp" ? MnistCase.Mlp : MnistCase.Cnn;
            foreach (var weights in new[] { "int3", "int2" })
            {
                foreach (var method in methods)
                {
                    foreach (var refit in new[] { false, true })
                    {
                        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                        var settings = $$"""{"weights":"{{weights}}","method":"{{method}}","blockRefit":{{(refit ? "true" : "false")}}}""";
                        var context = MethodHarness.Apply(model, $$"""{"passes":[{"quantize":{{settings}}}]}""");
                        var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                        var graph = MethodHarness.Decoded(context);
                        output.WriteLine(FormattableString.Invariant(
                            $"| {name} | {weights} | {method} | {(refit ? "yes" : "no")} | {HeldOut.OutputError(graph, model):0.0000} | {MethodHarness.Accuracy(graph, model):P2} | {seconds:0.0} |"));
                    }
                }
            }
        }
    }
}
