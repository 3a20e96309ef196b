using System.Text;

namespace ModelBuild.Compression.Reporting.Html;

/// <summary>The report's tables: layers, accuracy and timings. Optional columns appear only when some row has data.</summary>
public static partial class HtmlReport
{
    private static string LayerTable(CompressionReport report)
    {
        var columns = LayerColumns.For(report);
        var sb = new StringBuilder("<table class=\"layers\">\n<thead><tr>");
        foreach (var c in columns)
        {
            sb.Append(c.Numeric ? "<th class=\"num\"" : "<th").Append(c.Title is null ? "" : " title=\"" + Markup.Escape(c.Title) + "\"")
                .Append('>').Append(Markup.Escape(c.Header)).Append("</th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var r in report.Weights)
        {
            sb.Append("<tr>");
            for (var i = 0; i < columns.Count; i++)
            {
                if (i == 0)
                {
                    sb.Append("<td class=\"name\">").Append(Markup.Escape(columns[i].Cell(r))).Append("</td>");
                }
                else
                {
                    Cell(sb, columns[i].Cell(r), columns[i].Numeric);
                }
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody>\n<tfoot><tr>");
        foreach (var c in columns)
        {
            if (c.Total.Length == 0)
            {
                sb.Append("<td></td>");
            }
            else
            {
                Cell(sb, c.Total, c.Numeric);
            }
        }

        return sb.Append("</tr></tfoot>\n</table>\n").ToString();
    }

    private static string AccuracyTable(AccuracyReport a, Manifest.ToleranceSpec? tolerance)
    {
        var sb = new StringBuilder("<table>\n<thead><tr><th>metric</th><th class=\"num\">original</th><th class=\"num\">compressed</th>")
            .Append("<th class=\"num\">change</th><th class=\"num\">agreement</th><th class=\"num\">samples</th>")
            .Append(tolerance is null ? "" : "<th>tolerance</th><th>gate</th>").Append("</tr></thead>\n<tbody><tr>");
        Cell(sb, a.Metric, false);
        Cell(sb, ToleranceView.Score(a.Metric, a.Original), true);
        Cell(sb, ToleranceView.Score(a.Metric, a.Compressed), true);
        Cell(sb, ToleranceView.Change(a), true);
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
