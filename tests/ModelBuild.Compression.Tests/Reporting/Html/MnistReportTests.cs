using System.Xml;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Reporting.Html;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Reporting.Html;

public sealed class MnistReportTests
{
    [Fact]
    public void Report_for_mnist_cnn_fc128_carries_measured_data_in_every_chart()
    {
        var report = MnistReport.Build();
        var html = HtmlReport.Render(report);

        // Set MODELBUILD_HTML_REPORT to keep the page (build/tools/screenshot-report.sh turns it into the docs image).
        if (Environment.GetEnvironmentVariable("MODELBUILD_HTML_REPORT") is { Length: > 0 } keep)
        {
            File.WriteAllText(keep, html);
        }

        Assert.Equal("fc1.weight", report.Histogram!.Layer);
        Assert.Equal(128 * 3136, report.Histogram.Before.Sum());
        Assert.Equal(128 * 3136, report.Histogram.After.Sum());
        Assert.InRange(report.Accuracy!.Original, 0.97, 1.0); // README: 98.77 % on the full test set
        Assert.InRange(report.Accuracy.Original - report.Accuracy.Compressed, -0.003, 0.003); // the sample manifest's gate
        Assert.Single(report.TriedPoints!, p => p.Chosen);
        Assert.All(report.Weights.Where(w => w.Format != "float32"), w => Assert.NotNull(w.Sensitivity));
        Assert.InRange(report.CompressionRatio, 3.5, 4.0); // int8 + one scale per row
        Assert.Equal(["Conv", "Conv", "Conv", "Conv", "Gemm", "Gemm", "Gemm", "Gemm"], report.Weights.Select(w => w.Op ?? "").ToArray());

        // The stages re-run here agree with the pipeline: its Markdown report has the same rows and blob size.
        var dir = Directory.CreateTempSubdirectory("mb-html-");
        try
        {
            var result = CompressionPipeline.Run(new CompressionRequest(MnistReport.ModelPath, MnistReport.ManifestPath, "MnistModel", "Demo", dir.FullName, "Demo.MnistModel.weights.mbw"), TestServices.Default);
            Assert.Equal(result.EmbeddedBytes, report.EmbeddedBytes);
            var markdown = File.ReadAllText(result.ReportPath);
            // Sensitivity is this test's own measurement, not the pipeline's: compare the rows without it.
            var table = (report with { Weights = report.Weights.Select(w => w with { Sensitivity = null }).ToList() })
                .ToMarkdown().Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
            Assert.Equal(report.Weights.Count, table.Count);
            Assert.All(table, line => Assert.Contains(line, markdown, StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(true);
        }

        var doc = HtmlReportTests.LoadAsXml(html);
        var svgs = doc.GetElementsByTagName("svg").Cast<XmlElement>().Select(e => e.GetAttribute("id")).ToArray();
        Assert.Equal(["chart-bytes", "chart-tradeoff", "chart-histogram"], svgs);
        Assert.Contains("MnistModel: 1.61 MiB → ", html, StringComparison.Ordinal);
        Assert.Contains("(tolerance 0.3 pp) ✓", html, StringComparison.Ordinal);
    }
}
