namespace ModelBuild.Compression.Reporting.Html;

/// <summary>One weight's value distribution before and after, bin by bin (before on the left half of each bin).</summary>
internal static class HistogramChart
{
    private const double Width = 1200, Height = 380, Left = 90, Right = 20, Top = 40, Bottom = 60;

    public static string Render(WeightHistogram histogram)
    {
        var bins = Math.Min(histogram.Before.Length, histogram.After.Length);
        var svg = new SvgCanvas("chart-histogram", Width, Height, $"Values of {histogram.Layer} before and after compression");
        var peak = Math.Max(1, histogram.Before.Concat(histogram.After).DefaultIfEmpty(0).Max());
        // Weights cluster near zero: a log count axis keeps the tails, a pruning spike and codebook spikes all visible.
        var log = peak >= 100;
        var y = log ? Axis.LogCovering(1, peak, Height - Bottom, Top) : Axis.LinearCovering(0, peak, Height - Bottom, Top);
        var x = new Axis(0, Math.Max(1, bins), false, Left, Width - Right);
        svg.Axes(x, y, "weight value", log ? "count (log scale)" : "count", y.Ticks().Select(t => (t, Markup.Format(t, "N0"))));

        var width = (x.PixelEnd - x.PixelStart) / Math.Max(1, bins);
        for (var i = 0; i < bins; i++)
        {
            var (lo, hi) = (histogram.Min + (i * histogram.BinWidth), histogram.Min + ((i + 1) * histogram.BinWidth));
            var range = $"[{Markup.Format(lo, "G4")}, {Markup.Format(hi, "G4")})";
            Bin(svg, y, x.Map(i), width / 2, histogram.Before[i], "bar before", $"{range}: {histogram.Before[i]} before");
            Bin(svg, y, x.Map(i) + (width / 2), width / 2, histogram.After[i], "bar after", $"{range}: {histogram.After[i]} after");
        }

        // Round value ticks inside the range (zero among them when the range straddles it).
        var values = Axis.LinearCovering(histogram.Min, histogram.Max, 0, 1).Ticks()
            .Where(v => v >= histogram.Min && v <= histogram.Max).ToList();
        foreach (var v in values)
        {
            var px = ValueToPixel(histogram, x, v);
            svg.Line(px, y.PixelStart, px, y.PixelStart + 5, "axis");
            svg.Text(px, y.PixelStart + 20, Markup.Format(v, "G3"), "tick", "middle");
        }

        if (histogram.Min < 0 && histogram.Max > 0)
        {
            var zero = ValueToPixel(histogram, x, 0);
            svg.Line(zero, y.PixelStart, zero, y.PixelEnd, "ref");
        }

        svg.LegendEntry(Width - Right - 300, 20, "swatch before", "before (float32)");
        svg.LegendEntry(Width - Right - 150, 20, "swatch after", "after");
        return svg.ToString();
    }

    private static void Bin(SvgCanvas svg, Axis y, double left, double width, int count, string cssClass, string tooltip)
    {
        // A bin with a single value (the log axis starts at 1) still gets a visible sliver.
        var height = count == 0 ? 0 : Math.Max(1.5, y.PixelStart - y.Map(count));
        svg.Rect(left, y.PixelStart - height, width, height, cssClass, tooltip);
    }

    private static double ValueToPixel(WeightHistogram h, Axis x, double value) =>
        h.Max > h.Min ? x.Map((value - h.Min) / (h.Max - h.Min) * (x.Max - x.Min)) : x.PixelStart;
}
