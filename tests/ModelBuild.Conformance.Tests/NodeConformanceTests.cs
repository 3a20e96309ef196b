using Xunit.Abstractions;

namespace ModelBuild.Conformance.Tests;

/// <summary>The whole ONNX node-test suite through ModelBuild, as one test (one compilation of all predictors).</summary>
public sealed class NodeConformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_applicable_node_test_passes_or_is_refused_with_an_MB_code()
    {
        var results = ConformanceSuite.Run(NodeTestFolder.RequireTests(), output.WriteLine);
        var markdown = ConformanceReport.ToMarkdown(results);
        var reportPath = Path.Combine(AppContext.BaseDirectory, "conformance-report.md");
        File.WriteAllText(reportPath, markdown);
        output.WriteLine($"report: {reportPath}\n");
        output.WriteLine(markdown);

        // Guards against a suite that "passes" by judging nothing (e.g. every test classified not applicable).
        Assert.True(results.Count(r => r.Outcome == Outcome.Passed) >= 100, "fewer than 100 node tests passed: the harness is broken");

        var problems = ExpectedFailures.Differences(ExpectedFailures.Load(), results);
        Assert.True(problems.Count == 0, $"{problems.Count} difference(s) from {ExpectedFailures.FileName} (report: {reportPath}):\n" + string.Join("\n", problems));
    }
}
