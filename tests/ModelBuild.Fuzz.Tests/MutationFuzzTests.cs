using System.Globalization;
using Xunit.Abstractions;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// Mutation fuzzing: every mutated model must end in success or an MB error, never another exception or a hang.
/// The default run is short; <c>MODELBUILD_FUZZ_ITERATIONS=100000</c> runs a long one (optionally
/// <c>MODELBUILD_FUZZ_SEED</c>, <c>MODELBUILD_FUZZ_FIRST</c> to start at a case, <c>MODELBUILD_FUZZ_REPORT</c> = a file for the summary).
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    private const int ShortRun = 2000;

    [Fact]
    public void MutatedModels_EndInSuccessOrModelBuildError()
    {
        var iterations = Env("MODELBUILD_FUZZ_ITERATIONS", ShortRun);
        var seed = Env("MODELBUILD_FUZZ_SEED", 20261130);
        var first = Env("MODELBUILD_FUZZ_FIRST", 0);
        var work = Path.Combine(Path.GetTempPath(), "mb-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var report = Environment.GetEnvironmentVariable("MODELBUILD_FUZZ_REPORT") is { Length: > 0 } r ? r : null;
            var harness = new FuzzHarness(SeedModels.Load(), seed, TimeSpan.FromSeconds(30), work)
            {
                Progress = report is null ? null : partial => File.WriteAllText(report, "(in progress)\n" + partial.Summary()),
            };
            var result = harness.Run(iterations, first);
            var summary = result.Summary();
            output.WriteLine(summary);
            if (report is not null)
            {
                File.WriteAllText(report, summary);
            }

            Assert.True(result.Total >= iterations || result.Hangs.Count > 0, "every case must be counted");
            Assert.True(result.Successes > 0 && result.ErrorsByCode.Count > 0, "the mutations must reach both outcomes, or the harness tests nothing:\n" + summary);
            Assert.True(result.FaultCount == 0 && result.Hangs.Count == 0, summary);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Cases long runs found, replayed: each must end in success or an MB error (and not crash the process).</summary>
    [Theory]
    [InlineData(2222, 2124)] // a Pad whose mutated pads give a 3.2 GB tensor: ~25 s in ONNX Runtime, then MB5004; now MB1003 at once
    [InlineData(2222, 13480)] // the same kind (HugeTensorTests has its variants)
    [InlineData(2222, 68068)] // Min(a0, ""): ONNX Runtime crashed the process with SIGSEGV
    [InlineData(3333, 24048)] // a Pad of just over 256 MiB: the default gate's 64 synthetic samples outran the watchdog; now no gate (MB5002)
    [InlineData(3333, 9240)] // Clip with no max on an overflowed +Inf: ONNX Runtime gives FLT_MAX (the spec's default bound), not Inf
    [InlineData(4444, 92)] // a mutated output value info: ONNX Runtime saw no graph output and the gate indexed outputs[0]; now MB4001
    public void Replayed_long_run_findings_end_in_success_or_an_MB_error(int seed, int index)
    {
        var work = Path.Combine(Path.GetTempPath(), "mb-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var result = new FuzzHarness(SeedModels.Load(), seed, TimeSpan.FromSeconds(30), work).Run(1, index);
            Assert.True(result.FaultCount == 0 && result.Hangs.Count == 0, result.Summary());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Cases_AreReproducibleFromTheirNumber()
    {
        var seeds = SeedModels.Load();
        var a = new FuzzHarness(seeds, 7, TimeSpan.FromSeconds(1), Path.GetTempPath()).Case(1234);
        var b = new FuzzHarness(seeds, 7, TimeSpan.FromSeconds(1), Path.GetTempPath()).Case(1234);
        Assert.Equal(a.Bytes, b.Bytes);
        Assert.NotEqual(a.Seed.Bytes, a.Bytes);
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
