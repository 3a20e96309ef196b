using System.Text;

namespace ModelBuild.Compression.Reporting.Html;

/// <summary>The report's tables: layers, accuracy and timings. Optional columns appear only when some row has data.</summary>
public static partial class HtmlReport
{
    private static string LayerTable(CompressionReport report)
    {
        var rows = report.Weights;
        var hasOp = rows.Any(r => !string.IsNullOrEmpty(r.Op));
        var hasSparsity = rows.Any(r => r.Sparsity > 0);
        var hasError = rows.Any(r => r.MaxAbsError is not null || r.SqnrDb is not null);
        var hasSensitivity = rows.Any(r => r.Sensitivity is not null);
        var hasOutputError = rows.Any(r => r.OutputError is not null);
        var percent = report.Accuracy is { } accuracy && ToleranceView.IsPercent(accuracy.Metric);

        var sb = new StringBuilder("<table class=\"layers\">\n<thead><tr><th>weight</th>");
        if (hasOp)
        {
            sb.Append("<th>op</th>");
        }

        sb.Append("<th>shape</th><th class=\"num\">params</th><th>format</th><th class=\"num\">bytes before</th><th class=\"num\">bytes after</th>");
        if (hasSparsity)
        {
            sb.Append("<th class=\"num\">sparsity</th>");
        }

        sb.Append("<th class=\"num\">bits/weight</th>");
        if (hasError)
        {
            sb.Append("<th class=\"num\">max abs error</th><th class=\"num\">SQNR dB</th>");
        }

        if (hasSensitivity)
        {
            sb.Append("<th class=\"num\" title=\"metric drop with only this weight compressed\">sensitivity</th>");
        }

        if (hasOutputError)
        {
            sb.Append("<th class=\"num\" title=\"‖WX − ŴX‖ / ‖WX‖ on the calibration data\">output error</th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var r in rows)
        {
            sb.Append("<tr><td class=\"name\">").Append(Markup.Escape(r.Name)).Append("</td>");
            if (hasOp)
            {
                Cell(sb, r.Op ?? "–", false);
            }

            Cell(sb, string.Join("×", r.Dims.Select(d => Markup.Format(d, "0"))), false);
            Cell(sb, Markup.Format(r.Parameters, "N0"), true);
            Cell(sb, r.Format, false);
            Cell(sb, Markup.Format(r.OriginalBytes, "N0"), true);
            Cell(sb, Markup.Format(r.StoredBytes, "N0"), true);
            if (hasSparsity)
            {
                Cell(sb, r.Sparsity is { } s ? Markup.Format(s * 100, "0.0") + " %" : "–", true);
            }

            Cell(sb, Markup.Format(r.BitsPerWeight, "0.00"), true);
            if (hasError)
            {
                Cell(sb, r.MaxAbsError is { } e ? Markup.Format(e, "G4") : "–", true);
                Cell(sb, r.SqnrDb switch { null => "–", double.PositiveInfinity => "exact", { } q => Markup.Format(q, "F2") }, true);
            }

            if (hasSensitivity)
            {
                Cell(sb, r.Sensitivity is not { } v ? "–" : percent ? Markup.Format(v * 100, "0.00") + " pp" : Markup.Format(v, "G4"), true);
            }

            if (hasOutputError)
            {
                Cell(sb, r.OutputError is { } oe ? Markup.Format(oe * 100, "0.00") + " %" : "–", true);
            }

            sb.Append("</tr>\n");
        }

        var totalParams = rows.Sum(r => r.Parameters);
        var totalBits = totalParams == 0 ? 0 : report.TotalStoredBytes * 8.0 / totalParams;
        sb.Append("</tbody>\n<tfoot><tr><td>total</td>").Append(hasOp ? "<td></td>" : "").Append("<td></td>");
        Cell(sb, Markup.Format(totalParams, "N0"), true);
        sb.Append("<td></td>");
        Cell(sb, Markup.Format(report.TotalOriginalBytes, "N0"), true);
        Cell(sb, Markup.Format(report.TotalStoredBytes, "N0"), true);
        sb.Append(hasSparsity ? "<td></td>" : "");
        Cell(sb, Markup.Format(totalBits, "0.00"), true);
        sb.Append(hasError ? "<td></td><td></td>" : "").Append(hasSensitivity ? "<td></td>" : "").Append(hasOutputError ? "<td></td>" : "").Append("</tr></tfoot>\n</table>\n");
        return sb.ToString();
    }

    private static string AccuracyTable(AccuracyReport a, Manifest.ToleranceSpec? tolerance)
    {
        var sb = new StringBuilder("<table>\n<thead><tr><th>metric</th><th class=\"num\">original</th><th class=\"num\">compressed</th>")
            .Append("<th class=\"num\">change</th><th class=\"num\">agreement</th><th class=\"num\">samples</th>")
            .Append(tolerance is null ? "" : "<th>tolerance</th><th>gate</th>").Append("</tr></thead>\n<tbody><tr>");
        Cell(sb, a.Metric, false);
        Cell(sb, ToleranceView.Score(a.Metric, a.Original), true);
        Cell(sb, ToleranceView.Score(a.Metric, a.Compressed), true);
        var change = a.Compressed - a.Original;
        var changeText = !double.IsFinite(change) ? "–"
            : ToleranceView.IsPercent(a.Metric) ? Markup.Format(change * 100, "+0.00;-0.00;0.00") + " pp" : Markup.Format(change, "G4");
        Cell(sb, changeText, true);
        Cell(sb, Markup.Percent(a.Agreement), true);
        Cell(sb, Markup.Format(a.SampleCount, "N0"), true);
        if (tolerance is { } t)
        {
            Cell(sb, ToleranceView.Describe(t), false);
            Cell(sb, ToleranceView.Passes(t, a) ? "✓ met" : "✗ missed", false);
        }

        return sb.Append("</tr></tbody>\n</table>\n").ToString();
    }

    private static string TimingTable(IReadOnlyList<PassTiming> timings)
    {
        var longest = Math.Max(1e-9, timings.Max(t => t.Milliseconds));
        var sb = new StringBuilder("<table class=\"timings\">\n<thead><tr><th>pass</th><th class=\"num\">ms</th><th></th></tr></thead>\n<tbody>\n");
        foreach (var t in timings)
        {
            sb.Append("<tr>");
            Cell(sb, t.Pass, false);
            Cell(sb, Markup.Format(t.Milliseconds, "N1"), true);
            var width = Markup.Num(Math.Clamp(t.Milliseconds / longest, 0, 1) * 100);
            sb.Append("<td class=\"meter\"><span class=\"bar-after\" style=\"width:").Append(width).Append("%\"></span></td></tr>\n");
        }

        sb.Append("</tbody>\n<tfoot><tr><td>total</td>");
        Cell(sb, Markup.Format(timings.Sum(t => t.Milliseconds), "N1"), true);
        return sb.Append("<td></td></tr></tfoot>\n</table>\n").ToString();
    }

    private static void Cell(StringBuilder sb, string text, bool numeric) =>
        sb.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Markup.Escape(text)).Append("</td>");
}
