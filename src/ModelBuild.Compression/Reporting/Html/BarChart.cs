namespace ModelBuild.Compression.Reporting.Html;

/// <summary>Bytes per weight before and after compression, as grouped bars (log scale when sizes span decades).</summary>
internal static class BarChart
{
    private const double Width = 1200, Height = 400, Left = 90, Right = 20, Top = 40, Bottom = 110;

    /// <summary>The ratio of largest to smallest size beyond which the y axis becomes logarithmic.</summary>
    private const double LogThreshold = 50;

    public static string Render(IReadOnlyList<WeightReportRow> rows)
    {
        var svg = new SvgCanvas("chart-bytes", Width, Height, "Bytes per weight before and after compression");
        var sizes = rows.SelectMany(r => new[] { r.OriginalBytes, r.StoredBytes }).Where(b => b > 0).DefaultIfEmpty(1).ToList();
        var log = sizes.Max() / (double)sizes.Min() > LogThreshold;
        var y = log
            ? Axis.LogCovering(sizes.Min(), sizes.Max(), Height - Bottom, Top)
            : Axis.LinearCovering(0, sizes.Max(), Height - Bottom, Top);
        var x = new Axis(0, Math.Max(1, rows.Count), false, Left, Width - Right);
        svg.Axes(x, y, "weight", log ? "bytes (log scale)" : "bytes", y.Ticks().Select(t => (t, TickLabel(t))));

        var group = (x.PixelEnd - x.PixelStart) / Math.Max(1, rows.Count);
        var bar = Math.Min(40, group * 0.38);
        var labelEvery = Math.Max(1, (int)Math.Ceiling(rows.Count * 14 / (x.PixelEnd - x.PixelStart)));
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var center = x.Map(i + 0.5);
            Bar(svg, y, center - bar, bar, row.OriginalBytes, "bar before", $"{row.Name}: {Markup.Format(row.OriginalBytes, "N0")} bytes before");
            Bar(svg, y, center, bar, row.StoredBytes, "bar after", $"{row.Name}: {Markup.Format(row.StoredBytes, "N0")} bytes after ({row.Format})");
            if (i % labelEvery == 0)
            {
                svg.Text(center, Height - Bottom + 14, Markup.Shorten(row.Name, 22), "tick", "end", -35, row.Name);
            }
        }

        svg.LegendEntry(Width - Right - 300, 20, "swatch before", "before (float32)");
        svg.LegendEntry(Width - Right - 150, 20, "swatch after", "after");
        return svg.ToString();
    }

    private static void Bar(SvgCanvas svg, Axis y, double left, double width, long bytes, string cssClass, string tooltip)
    {
        var top = y.Map(Math.Max(bytes, y.Log ? y.Min : 0));
        svg.Rect(left, top, width, y.PixelStart - top, cssClass, tooltip);
    }

    private static string TickLabel(double bytes) => bytes == 0 ? "0" : Markup.HumanBytes(bytes);
}
