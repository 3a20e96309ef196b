namespace ModelBuild.Compression.Reporting.Html;

/// <summary>Size against score for each configuration tried, the Pareto front joined; the chosen one is ringed and labelled.</summary>
internal static class ScatterPlot
{
    private const double Width = 1200, Height = 380, Left = 90, Right = 30, Top = 40, Bottom = 60;

    /// <param name="points">The configurations.</param>
    /// <param name="metric">What the points' scores measure (the y axis).</param>
    /// <param name="accuracy">The measured accuracy in the same metric, for reference lines; null draws none.</param>
    /// <param name="tolerance">The manifest's bound, drawn as a line when <paramref name="accuracy"/> is given.</param>
    public static string Render(IReadOnlyList<TriedPoint> points, string metric, AccuracyReport? accuracy, Manifest.ToleranceSpec? tolerance)
    {
        var svg = new SvgCanvas("chart-tradeoff", Width, Height, $"Size and {metric} of each configuration tried");
        var scores = points.Select(p => p.Metric).Where(double.IsFinite).ToList();
        if (accuracy is not null)
        {
            scores.Add(accuracy.Original);
            if (tolerance is { } t)
            {
                scores.Add(ToleranceView.Limit(t, accuracy));
            }

            scores.RemoveAll(s => !double.IsFinite(s));
        }

        var percent = ToleranceView.IsPercent(metric);
        var lo = scores.DefaultIfEmpty(0).Min();
        var hi = scores.DefaultIfEmpty(1).Max();
        var pad = Math.Max((hi - lo) * 0.08, percent ? 0.0005 : 1e-9);
        var y = Axis.LinearCovering(lo - pad, hi + pad, Height - Bottom, Top);
        var bytes = points.Select(p => (double)Math.Max(1, p.Bytes)).DefaultIfEmpty(1).ToList();
        var log = bytes.Max() / bytes.Min() > 10;
        var x = log ? Axis.LogCovering(bytes.Min(), bytes.Max(), Left, Width - Right) : Axis.LinearCovering(0, bytes.Max(), Left, Width - Right);
        svg.Axes(x, y, log ? "embedded size (log scale)" : "embedded size", metric, y.Ticks().Select(t => (t, Score(t, percent))));
        foreach (var t in x.Ticks())
        {
            svg.Text(x.Map(t), Height - Bottom + 18, t == 0 ? "0" : Markup.HumanBytes(t), "tick", "middle");
        }

        if (accuracy is not null)
        {
            if (double.IsFinite(accuracy.Original))
            {
                Reference(svg, x, y, accuracy.Original, "ref", $"original {Score(accuracy.Original, percent)}");
            }

            if (tolerance is { } t && double.IsFinite(ToleranceView.Limit(t, accuracy)))
            {
                Reference(svg, x, y, ToleranceView.Limit(t, accuracy), "ref limit", "tolerance " + ToleranceView.Describe(t));
            }
        }

        // The Pareto front (nothing smaller and better) as a staircase; a loss is better low, a score (accuracy given) high.
        var front = TriedPoint.ParetoFront(points, lowerIsBetter: accuracy is null);
        for (var i = 1; i < front.Count; i++)
        {
            var (x0, y0, x1, y1) = (x.Map(Math.Max(1, front[i - 1].Bytes)), y.Map(front[i - 1].Metric), x.Map(Math.Max(1, front[i].Bytes)), y.Map(front[i].Metric));
            svg.Line(x0, y0, x1, y0, "front");
            svg.Line(x1, y0, x1, y1, "front");
        }

        foreach (var p in points.Where(p => !p.Chosen).Concat(points.Where(p => p.Chosen)).Where(p => double.IsFinite(p.Metric)))
        {
            var (px, py) = (x.Map(Math.Max(1, p.Bytes)), y.Map(p.Metric));
            var onFront = front.Contains(p);
            var tooltip = $"{p.Label}: {Runtime.ModelInfo.FormatBytes(p.Bytes)}, {metric} {Score(p.Metric, percent)}" + (p.Chosen ? " (chosen)" : "") + (onFront ? " (Pareto front)" : "");
            svg.Circle(px, py, p.Chosen ? 7 : 5, p.Chosen ? "point chosen" : onFront ? "point front" : "point", tooltip);
            if (p.Chosen)
            {
                svg.Circle(px, py, 13, "ring");
                svg.Text(px + (px > Width - 300 ? -18 : 18), py - 12, "chosen: " + p.Label, "annotation", px > Width - 300 ? "end" : "start");
            }
        }

        svg.LegendEntry(Width - Right - 330, 20, "swatch point", "tried");
        svg.LegendEntry(Width - Right - 230, 20, "swatch chosen", "chosen");
        svg.LegendEntry(Width - Right - 130, 20, "swatch front", "Pareto front");
        return svg.ToString();
    }

    private static void Reference(SvgCanvas svg, Axis x, Axis y, double value, string cssClass, string label)
    {
        var py = y.Map(value);
        svg.Line(x.PixelStart, py, x.PixelEnd, py, cssClass);
        svg.Text(x.PixelEnd - 4, py - 5, label, "annotation", "end");
    }

    private static string Score(double value, bool percent) => percent ? Markup.Percent(value) : Markup.Format(value, "G4");
}
