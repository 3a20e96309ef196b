using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Reporting.Html;

namespace ModelBuild.Compression.Tests.Reporting.Html;

public sealed class HtmlReportTests
{
    private const string Hostile = "<script>alert('x')</script>&\"";

    [Fact]
    public void Summary_line_matches_the_documented_form()
    {
        var report = Full() with { Accuracy = new AccuracyReport("top-1", 0.9877, 0.9861, 0.998, 10_000) };
        Assert.Equal("MnistModel: 1.61 MiB → 56.6 KiB (29×), top-1 98.77 % → 98.61 % (tolerance 0.5 pp) ✓", HtmlReport.Summary(report));

        var missed = report with { Tolerance = new ToleranceSpec("maxAccuracyDrop", 0.001) };
        Assert.EndsWith("(tolerance 0.1 pp) ✗", HtmlReport.Summary(missed), StringComparison.Ordinal);
        Assert.Contains("<p class=\"summary fail\">", HtmlReport.Render(missed), StringComparison.Ordinal);

        var bare = new CompressionReport("tiny.onnx", "quantize(int8)", [WeightReportRow.ForFloat("w", [10, 10])]);
        Assert.Equal("tiny: 400 B → 400 B (1.0×)", HtmlReport.Summary(bare));
    }

    [Fact]
    public void Document_is_well_formed_and_has_one_svg_per_chart_with_a_bar_per_value()
    {
        var report = Full();
        var html = HtmlReport.Render(report);
        var doc = LoadAsXml(html); // throws on any unclosed or mis-nested element
        var svgs = doc.GetElementsByTagName("svg").Cast<XmlElement>().ToDictionary(e => e.GetAttribute("id"));
        Assert.Equal(["chart-bytes", "chart-tradeoff", "chart-histogram"], svgs.Keys.ToArray());

        // Bytes: one bar before and one after per weight, in order, taller for more bytes.
        var bars = Elements(svgs["chart-bytes"], "rect").Where(r => r.GetAttribute("class").StartsWith("bar ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * report.Weights.Count, bars.Count);
        Assert.Equal(report.Weights.Count, bars.Count(b => b.GetAttribute("class") == "bar before"));
        var heights = bars.Select(b => double.Parse(b.GetAttribute("height"), CultureInfo.InvariantCulture)).ToList();
        var bytes = report.Weights.SelectMany(w => new[] { w.OriginalBytes, w.StoredBytes }).ToList();
        for (var i = 0; i < bytes.Count; i++)
        {
            for (var j = 0; j < bytes.Count; j++)
            {
                Assert.True(bytes[i] <= bytes[j] || heights[i] > heights[j], $"bar {i} ({bytes[i]} B) should be taller than bar {j} ({bytes[j]} B)");
            }
        }

        Assert.Contains(Elements(svgs["chart-bytes"], "text"), t => t.InnerText == "bytes (log scale)"); // 1,605,632 vs 40 bytes

        // Trade-off: one circle per point, exactly one chosen.
        var points = Elements(svgs["chart-tradeoff"], "circle").Where(c => c.GetAttribute("class").StartsWith("point", StringComparison.Ordinal)).ToList();
        Assert.Equal(report.TriedPoints!.Count, points.Count);
        Assert.Single(points, p => p.GetAttribute("class") == "point chosen");

        // Histogram: a bar per bin before and after.
        var bins = Elements(svgs["chart-histogram"], "rect").Count(r => r.GetAttribute("class").StartsWith("bar ", StringComparison.Ordinal));
        Assert.Equal(2 * report.Histogram!.Before.Length, bins);
    }

    [Fact]
    public void Optional_sections_and_columns_appear_only_with_data()
    {
        var minimal = new CompressionReport("m.onnx", "quantize(int8)", [WeightReportRow.ForFloat("w", [4, 4])]);
        var html = HtmlReport.Render(minimal);
        var doc = LoadAsXml(html);
        Assert.Single(doc.GetElementsByTagName("svg").Cast<XmlElement>());
        var headers = doc.GetElementsByTagName("th").Cast<XmlElement>().Select(e => e.InnerText).ToList();
        Assert.DoesNotContain("op", headers);
        Assert.DoesNotContain("zeros", headers);
        Assert.DoesNotContain("sensitivity", headers);
        Assert.DoesNotContain("SQNR dB", headers);
        Assert.DoesNotContain("id=\"timings\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"accuracy\"", html, StringComparison.Ordinal);

        var full = LoadAsXml(HtmlReport.Render(Full())).GetElementsByTagName("th").Cast<XmlElement>().Select(e => e.InnerText).ToList();
        Assert.Contains("op", full);
        Assert.Contains("zeros", full);
        Assert.Contains("sensitivity", full);
        Assert.Contains("SQNR dB", full);
        Assert.Contains("ms", full);
    }

    [Fact]
    public void Markdown_shows_the_html_layer_table_cell_for_cell()
    {
        var report = Full();
        var table = LoadAsXml(HtmlReport.Render(report)).GetElementsByTagName("table").Cast<XmlElement>().First(t => t.GetAttribute("class") == "layers");
        var htmlRows = Elements(table, "tr").Select(r => r.ChildNodes.Cast<XmlElement>().Select(c => c.InnerText).ToArray()).ToList();

        var markdown = report.ToMarkdown().Split('\n');
        var start = Array.FindIndex(markdown, l => l.StartsWith("| weight |", StringComparison.Ordinal));
        var mdRows = markdown.Skip(start).TakeWhile(l => l.StartsWith('|')).Where((_, i) => i != 1) // row 1 is the alignment row
            .Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim().Trim('`', '*')).ToArray()).ToList();

        Assert.Equal(2 + report.Weights.Count, htmlRows.Count); // header, rows, total
        Assert.Equal(htmlRows.Count, mdRows.Count);
        for (var i = 0; i < htmlRows.Count; i++)
        {
            Assert.Equal(htmlRows[i], mdRows[i]);
        }

        Assert.Contains("zeros", htmlRows[0]);
        Assert.Contains("## Manifest as applied", report.ToMarkdown(), StringComparison.Ordinal);
        Assert.Contains("| top-1 | 0.9877 | 0.9861 | -0.16 pp | 0.9980 | 2000 | 0.5 pp | ✓ met |", report.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void Entropy_coded_reports_say_the_stored_bytes_are_before_entropy_coding()
    {
        var plain = Full();
        var coded = plain with { EntropyCoded = true };
        Assert.DoesNotContain("entropy", plain.ToMarkdown() + HtmlReport.Render(plain), StringComparison.Ordinal);
        Assert.Contains("1,606,824 bytes as float32 → 402,376 bytes stored (3.99×), entropy-coded into the 58,000-byte blob", coded.ToMarkdown(), StringComparison.Ordinal);
        var html = HtmlReport.Render(coded);
        Assert.Contains("entropy-coded into the 58,000-byte blob", html, StringComparison.Ordinal);
        Assert.Contains("title=\"in the blob&#39;s format, scales, zero points and codebooks included, before entropy coding\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Degenerate_inputs_still_give_finite_coordinates()
    {
        var empty = new CompressionReport("e.onnx", "none", []);
        var sqnr = new CompressionReport("s.onnx", "q", [WeightReportRow.ForFloat("w", [0])], new AccuracyReport("SQNR dB", double.PositiveInfinity, 40, 1, 5))
        {
            Tolerance = new ToleranceSpec("minSqnrDb", 30),
            TriedPoints = [new TriedPoint(0, double.NaN, "broken", false), new TriedPoint(10, 40, "ok", true)],
            Histogram = WeightHistogram.FromValues("w", [], [], 3),
        };
        foreach (var report in new[] { empty, sqnr })
        {
            var html = HtmlReport.Render(report);
            LoadAsXml(html);
            Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
            Assert.DoesNotContain("Infinity", html, StringComparison.Ordinal);
            Assert.DoesNotContain("∞", html, StringComparison.Ordinal);
        }

        Assert.Equal("s: 0 B → 0 B (0.0×), SQNR dB inf → 40 (tolerance SQNR ≥ 30 dB) ✓", HtmlReport.Summary(sqnr));
    }

    [Fact]
    public void Tried_points_in_another_metric_get_their_own_axis_and_no_accuracy_lines()
    {
        var same = LoadAsXml(HtmlReport.Render(Full()));
        var other = LoadAsXml(HtmlReport.Render(Full() with { TriedMetric = "calibration loss" }));
        static List<XmlElement> Lines(XmlDocument d, string cssClass) => d.GetElementsByTagName("line").Cast<XmlElement>()
            .Where(e => e.GetAttribute("class").StartsWith(cssClass, StringComparison.Ordinal) && ((XmlElement)e.ParentNode!).GetAttribute("id") == "chart-tradeoff").ToList();
        Assert.Equal(2, Lines(same, "ref").Count); // original and tolerance
        Assert.Empty(Lines(other, "ref"));
        Assert.Contains(other.GetElementsByTagName("text").Cast<XmlElement>(), t => t.InnerText == "calibration loss");
    }

    [Fact]
    public void Hostile_names_are_escaped_everywhere()
    {
        var row = new WeightReportRow(Hostile, [2, 3], Hostile, 24, 6, 0.1, 20) { Op = Hostile };
        var report = new CompressionReport(Hostile + ".onnx", Hostile, [row], new AccuracyReport(Hostile, 0.9, 0.8, 0.9, 10))
        {
            ModelName = Hostile,
            ManifestText = Hostile,
            Notes = [Hostile],
            Timings = [new PassTiming(Hostile, 1)],
            TriedPoints = [new TriedPoint(6, 0.8, Hostile, true)],
            Histogram = WeightHistogram.FromValues(Hostile, [1, 2], [1, 2], 4),
        };
        var html = HtmlReport.Render(report);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;", html, StringComparison.Ordinal);
        var doc = LoadAsXml(html);
        Assert.Equal(Hostile, doc.GetElementsByTagName("td").Cast<XmlElement>().First(td => td.GetAttribute("class") == "name").InnerText);
    }

    [Fact]
    public void Output_is_deterministic_and_culture_invariant()
    {
        var first = HtmlReport.Render(Full());
        var previous = CultureInfo.CurrentCulture;
        string german;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            german = HtmlReport.Render(Full());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.Equal(first, german);
        Assert.Equal(first, HtmlReport.Render(Full()));
        Assert.Contains("1,605,632", first, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', first);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        var html = HtmlReport.Render(Full());
        foreach (var banned in new[] { "http", "src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe" })
        {
            Assert.DoesNotContain(banned, html, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Single(Regex.Matches(html, "<style>"));
        Assert.Contains("prefers-color-scheme: dark", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ignores_the_report_only_data_and_markdown_shows_it()
    {
        var plain = new CompressionReport("m.onnx", "quantize(int8)", Full().Weights.Select(w => w with { Op = null, Sparsity = null, Sensitivity = null }).ToList());
        // Auto's points are in both (the Markdown lists their Pareto front: ParetoFrontTests).
        var rich = Full() with { Accuracy = null, OriginalFileBytes = null, EmbeddedBytes = null, ModelFile = "m.onnx", ManifestDescription = "quantize(int8)", TriedPoints = null };
        Assert.Equal(plain.ToJson(), rich.ToJson());
        foreach (var shown in new[] { "| op |", "| zeros |", "| sensitivity |", "fc.weight: 50 % pruned", "## Manifest as applied" })
        {
            Assert.DoesNotContain(shown, plain.ToMarkdown(), StringComparison.Ordinal);
            Assert.Contains(shown, rich.ToMarkdown(), StringComparison.Ordinal);
        }
    }

    /// <summary>A report with every optional part filled in.</summary>
    internal static CompressionReport Full()
    {
        var fc = new WeightReportRow("fc.weight", [128, 3136], "int8 per-channel sym", 1_605_632, 401_920, 0.0042, 41.5) { Op = "Gemm", Sparsity = 0.5, Sensitivity = 0.0012 };
        var conv = new WeightReportRow("conv.weight", [32, 1, 3, 3], "int8 per-channel sym", 1_152, 416, 0.003, 39.2) { Op = "Conv", Sparsity = 0 };
        var bias = WeightReportRow.ForFloat("fc.bias", [10]);
        var original = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        var pruned = original.Select(v => Math.Abs(v) < 0.5f ? 0f : v).ToArray();
        return new CompressionReport("mnist_cnn_fc128.onnx", "quantize(int8,per-channel,symmetric)", [conv, fc, bias], new AccuracyReport("top-1", 0.9877, 0.9861, 0.998, 2000))
        {
            ModelName = "MnistModel",
            OriginalFileBytes = 1_688_196,
            EmbeddedBytes = 58_000,
            Tolerance = new ToleranceSpec("maxAccuracyDrop", 0.005),
            ManifestText = "{ \"passes\": [ { \"quantize\": { \"weights\": \"int8\" } } ] }",
            Notes = ["fc.weight: 50 % pruned"],
            Timings = [new PassTiming("prune", 12.5), new PassTiming("quantize", 3.25)],
            TriedPoints = [new TriedPoint(1_688_196, 0.9877, "float32", false), new TriedPoint(430_000, 0.9874, "int8", false), new TriedPoint(58_000, 0.9861, "int4 + prune", true)],
            Histogram = WeightHistogram.FromValues("fc.weight", original, pruned, 40),
        };
    }

    internal static XmlDocument LoadAsXml(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>\n", html, StringComparison.Ordinal);
        var doc = new XmlDocument();
        doc.LoadXml(html["<!DOCTYPE html>\n".Length..]);
        return doc;
    }

    private static IEnumerable<XmlElement> Elements(XmlElement parent, string name) => parent.GetElementsByTagName(name).Cast<XmlElement>();
}
