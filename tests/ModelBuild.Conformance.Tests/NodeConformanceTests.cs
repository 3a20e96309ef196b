using Xunit.Abstractions;

namespace ModelBuild.Conformance.Tests;

/// <summary>The whole ONNX node-test suite through ModelBuild, as one test (one compilation of all predictors).</summary>
public sealed class NodeConformanceTests(ITestOutputHelper output)
{
    /// <summary>Node tests that passed when this was last raised (2026-11-30: 681 of 715 applicable).</summary>
    private const int MinimumPassed = 681;

    [Fact]
    public void Every_applicable_node_test_passes_or_is_refused_with_an_MB_code()
    {
        var results = ConformanceSuite.Run(NodeTestFolder.RequireTests(), output.WriteLine);
        var markdown = ConformanceReport.ToMarkdown(results);
        var reportPath = Path.Combine(AppContext.BaseDirectory, "conformance-report.md");
        File.WriteAllText(reportPath, markdown);
        output.WriteLine($"report: {reportPath}\n");
        output.WriteLine(markdown);

        // A ratchet: coverage only grows (raise MinimumPassed when more pass), and at least 90 % of the applicable
        // tests pass in generated code. Also guards against a suite that "passes" by judging nothing.
        var passed = results.Count(r => r.Outcome == Outcome.Passed);
        var applicable = results.Count(r => r.Outcome is not (Outcome.NotApplicable or Outcome.Unverified));
        Assert.True(passed >= MinimumPassed, $"{passed} node tests passed, fewer than the {MinimumPassed} that passed before: a regression");
        Assert.True(passed >= 0.9 * applicable, $"{passed} of {applicable} applicable node tests passed: below 90 %");

        var problems = ExpectedFailures.Differences(ExpectedFailures.Load(), results);
        Assert.True(problems.Count == 0, $"{problems.Count} difference(s) from {ExpectedFailures.FileName} (report: {reportPath}):\n" + string.Join("\n", problems));
    }
}
