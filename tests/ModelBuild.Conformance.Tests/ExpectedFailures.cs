namespace ModelBuild.Conformance.Tests;

/// <summary>
/// expected-failures.txt: one known failure per line, "test_name outcome  # symptom", outcome being wrong, crash or
/// unverified. It lets CI stay green while the planner rewrite fixes them, and it must shrink: a listed test that
/// stops failing that way is reported as stale, just as an unlisted failure is reported as new.
/// </summary>
internal static class ExpectedFailures
{
    public const string FileName = "expected-failures.txt";

    public static IReadOnlyDictionary<string, Outcome> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, FileName);
        var list = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            Assert.True(parts.Length == 2 && Enum.TryParse<Outcome>(parts[1], ignoreCase: true, out _), $"{FileName}: bad line '{raw}'");
            var outcome = Enum.Parse<Outcome>(parts[1], ignoreCase: true);
            Assert.True(outcome is Outcome.Wrong or Outcome.Crash or Outcome.Unverified, $"{FileName}: '{parts[1]}' is not wrong, crash or unverified");
            Assert.True(list.TryAdd(parts[0], outcome), $"{FileName}: {parts[0]} is listed twice");
        }

        return list;
    }

    /// <summary>Differences between the list and <paramref name="results"/>; empty when they agree.</summary>
    public static List<string> Differences(IReadOnlyDictionary<string, Outcome> expected, IReadOnlyList<TestResult> results)
    {
        var problems = new List<string>();
        var byTest = results.ToDictionary(r => r.Test, StringComparer.Ordinal);
        foreach (var r in results.Where(r => r.Outcome is Outcome.Wrong or Outcome.Crash or Outcome.Unverified))
        {
            if (!expected.TryGetValue(r.Test, out var listed) || listed != r.Outcome)
            {
                problems.Add($"new {r.Outcome.ToString().ToLowerInvariant()}: {r.Test} ({r.Operator}): {r.Detail}");
            }
        }

        foreach (var (test, outcome) in expected)
        {
            if (!byTest.TryGetValue(test, out var r) || r.Outcome != outcome)
            {
                problems.Add($"stale entry in {FileName}: {test} is listed as {outcome.ToString().ToLowerInvariant()} but is now "
                    + (r is null ? "missing" : r.Outcome.ToString().ToLowerInvariant()) + "; remove the line");
            }
        }

        return problems;
    }
}
