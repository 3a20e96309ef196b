using ModelBuild.Compression.Reporting;

namespace ModelBuild.Compression.Tests.Reporting;

/// <summary>Auto's Pareto front: the configurations no other one beats on both size and loss (or score).</summary>
public sealed class ParetoFrontTests
{
    private static readonly TriedPoint[] Points =
    [
        new(300, 0.001, "int8", false),
        new(200, 0.002, "int4", false),
        new(250, 0.004, "int5 (beaten by int4)", false),
        new(120, 0.004, "mixed", true),
        new(100, 0.030, "int2", false),
        new(100, 0.050, "int2 rtn (beaten by int2)", false),
        new(90, double.NaN, "broken", false),
    ];

    [Fact]
    public void Front_keeps_the_points_nothing_smaller_beats_smallest_first()
    {
        var front = TriedPoint.ParetoFront(Points, lowerIsBetter: true);

        Assert.Equal(["int2", "mixed", "int4", "int8"], front.Select(p => p.Label).ToArray());
    }

    [Fact]
    public void For_a_score_higher_is_better()
    {
        var scores = Points.Select(p => p with { Metric = 1 - p.Metric }).ToList();

        Assert.Equal(["int2", "mixed", "int4", "int8"], TriedPoint.ParetoFront(scores, lowerIsBetter: false).Select(p => p.Label).ToArray());
    }

    [Fact]
    public void Markdown_lists_the_front_with_the_shipped_point_starred()
    {
        var report = new CompressionReport("m.onnx", "auto", []) { TriedPoints = Points, TriedMetric = "calibration loss" };

        var markdown = report.ToMarkdown();

        Assert.Contains("## Auto: Pareto front (embedded bytes vs calibration loss)", markdown);
        Assert.Contains("| 120 | 0.004 | mixed | ★ shipped |", markdown);
        Assert.Contains("| 300 | 0.001 | int8 |  |", markdown);
        Assert.DoesNotContain("beaten", markdown);
    }
}
