using System.Globalization;
using System.Text;

namespace ModelBuild.Conformance.Tests;

/// <summary>The per-operator markdown table and the lists behind it (written to the test output and a file).</summary>
internal static class ConformanceReport
{
    public static string ToMarkdown(IReadOnlyList<TestResult> results)
    {
        var sb = new StringBuilder();
        var applicable = results.Where(IsApplicable).ToList();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"# ONNX node-test conformance\n\n{results.Count} tests: {applicable.Count} applicable — "
            + $"{Count(results, Outcome.Passed)} passed, {Count(results, Outcome.Refused)} refused ({Codes(results)}), "
            + $"{Count(results, Outcome.Wrong)} wrong, {Count(results, Outcome.Crash)} crash; "
            + $"{Count(results, Outcome.NotApplicable)} not applicable, {Count(results, Outcome.Unverified)} unverified (ONNX Runtime disagrees with the converted model).\n"));
        var passed = results.Where(r => r.Outcome == Outcome.Passed).ToList();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Runtime=\"Auto\": {passed.Count(r => r.Runtime == "generated")} passed in generated code, "
            + $"{passed.Count(r => r.Runtime == "onnxruntime")} in ONNX Runtime (the fallback, for nodes the generated code does not cover).\n"));
        sb.AppendLine("Tolerance: |actual − expected| ≤ 1e-4·max(1, |expected|). See tests/ModelBuild.Conformance.Tests/README.md.\n");

        sb.AppendLine("| operator | applicable | passed | refused | wrong | crash | n/a | unverified |");
        sb.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|");
        foreach (var group in results.GroupBy(r => r.Operator).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var g = group.ToList();
            var refused = Count(g, Outcome.Refused);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {group.Key} | {g.Count(IsApplicable)} | {Count(g, Outcome.Passed)} | {(refused == 0 ? "0" : $"{refused} ({Codes(g)})")} | "
                + $"{Count(g, Outcome.Wrong)} | {Count(g, Outcome.Crash)} | {Count(g, Outcome.NotApplicable)} | {Count(g, Outcome.Unverified)} |"));
        }

        sb.AppendLine("\n## Most refused operators\n");
        foreach (var g in results.Where(r => r.Outcome == Outcome.Refused).GroupBy(r => r.Operator).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(20))
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- {g.Key}: {g.Count()}"));
        }

        foreach (var outcome in new[] { Outcome.Wrong, Outcome.Crash, Outcome.Unverified, Outcome.Refused, Outcome.NotApplicable, Outcome.Passed })
        {
            sb.AppendLine($"\n## {outcome}\n");
            foreach (var r in results.Where(r => r.Outcome == outcome))
            {
                sb.AppendLine($"- {r.Test} ({r.Operator}){(r.Code is null ? "" : " " + r.Code)}{(r.Runtime is null ? "" : " [" + r.Runtime + "]")}{(r.Detail.Length == 0 ? "" : ": " + r.Detail)}");
            }
        }

        return sb.ToString();
    }

    public static bool IsApplicable(TestResult r) => r.Outcome is Outcome.Passed or Outcome.Refused or Outcome.Wrong or Outcome.Crash;

    private static int Count(IEnumerable<TestResult> results, Outcome outcome) => results.Count(r => r.Outcome == outcome);

    private static string Codes(IEnumerable<TestResult> results) => string.Join(", ", results.Where(r => r.Code is not null)
        .GroupBy(r => r.Code!).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}×{g.Count()}")));

}
