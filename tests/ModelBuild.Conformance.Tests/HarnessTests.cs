namespace ModelBuild.Conformance.Tests;

/// <summary>The comparison rule and the expected-failures bookkeeping, which decide every verdict of the suite.</summary>
public sealed class HarnessTests
{
    [Theory]
    [InlineData(1.0, 1.00009, true)] // within 1e-4·max(1, 1)
    [InlineData(1.0, 1.00011, false)]
    [InlineData(1000.0, 1000.09, true)] // relative above 1
    [InlineData(1000.0, 1000.11, false)]
    [InlineData(0.0, 0.00009, true)] // absolute below 1
    [InlineData(double.NaN, double.NaN, true)]
    [InlineData(double.NaN, 0.0, false)]
    [InlineData(1.0, double.NaN, false)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity, true)]
    [InlineData(double.PositiveInfinity, double.NegativeInfinity, false)]
    public void Tolerance_is_1e_4_times_max_1_and_the_expected_magnitude(double expected, double actual, bool ok)
    {
        var tensor = Graph.Tensor.FromFloats("y", [1], [(float)expected]);
        Assert.Equal(ok, Tolerance.Compare(tensor, [1], [actual]) is null);
    }

    [Fact]
    public void A_shape_mismatch_is_wrong_even_with_equal_values()
    {
        var tensor = Graph.Tensor.FromFloats("y", [2, 3], [1, 2, 3, 4, 5, 6]);
        Assert.Equal("shape [3,2] instead of [2,3]", Tolerance.Compare(tensor, [3, 2], [1, 2, 3, 4, 5, 6]));
    }

    [Fact]
    public void New_failures_and_stale_entries_are_both_reported()
    {
        var expected = new Dictionary<string, Outcome> { ["test_a"] = Outcome.Wrong, ["test_b"] = Outcome.Crash };
        var results = new List<TestResult>
        {
            new("test_a", "A", Outcome.Wrong, "off"), // listed and still wrong: fine
            new("test_b", "B", Outcome.Passed), // listed but fixed: stale
            new("test_c", "C", Outcome.Crash, "boom"), // not listed: new
            new("test_d", "D", Outcome.Refused, "", "MB3003"), // refusals are allowed
        };

        var problems = ExpectedFailures.Differences(expected, results);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("new crash: test_c", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("stale entry", StringComparison.Ordinal) && p.Contains("test_b", StringComparison.Ordinal));
    }
}
