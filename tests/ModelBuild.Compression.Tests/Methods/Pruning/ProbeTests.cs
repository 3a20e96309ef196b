using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

public sealed class ProbeTests(ITestOutputHelper output)
{
    [Fact]
    public void Probe()
    {
        foreach (var (m, json, n) in new[]
        {
            (MnistCase.Cnn, """{"passes":[{"prune":{"method":"magnitude","sparsity":0.9,"rounds":3,"reconstruct":true}}]}""", 256),
            (MnistCase.Cnn, """{"passes":[{"prune":{"method":"magnitude","sparsity":0.9,"reconstruct":true}}]}""", 256),
        })
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var c = MethodHarness.Apply(m, json, n);
            output.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"{n} {json}: {MethodHarness.Accuracy(MethodHarness.Decoded(c), m):P2} {string.Join(" | ", c.Notes)}");
        }
    }
}
