using System.Diagnostics;
using ModelBuild.Compression.Reporting.Html;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Reporting.Html;

/// <summary>A fact that runs only where Debian's Chromium is installed (build/tools/screenshot-report.sh installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            Skip = "/usr/bin/chromium is not installed";
        }
    }
}

public sealed class ScreenshotTests
{
    [ChromiumFact]
    public void Headless_chromium_draws_the_charts_in_their_colours()
    {
        var dir = Directory.CreateTempSubdirectory("mb-report-");
        try
        {
            var html = Path.Combine(dir.FullName, "report.html");
            var png = Path.Combine(dir.FullName, "report.png");
            File.WriteAllText(html, HtmlReport.Render(HtmlReportTests.Full()));
            var script = Path.Combine(TestPaths.RepoRoot, "build", "tools", "screenshot-report.sh");
            using (var process = Process.Start(new ProcessStartInfo("bash", [script, html, png, "1280", "2000"]) { RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                var error = process.StandardError.ReadToEndAsync();
                process.StandardOutput.ReadToEnd();
                Assert.True(process.WaitForExit(120_000), "chromium did not finish");
                Assert.True(process.ExitCode == 0, error.Result);
            }

            var (width, height, rgb) = PngPixels.Read(png);
            Assert.Equal((1280, 2000), (width, height));

            // The light theme's bar colours (--before #8aa4cc, --after #e0702a) fill the bars' interiors exactly.
            var counts = new Dictionary<int, int>();
            for (var i = 0; i < rgb.Length; i += 3)
            {
                var key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            Assert.True(counts.GetValueOrDefault(0x8aa4cc) > 2000, $"before-colour pixels: {counts.GetValueOrDefault(0x8aa4cc)}");
            Assert.True(counts.GetValueOrDefault(0xe0702a) > 2000, $"after-colour pixels: {counts.GetValueOrDefault(0xe0702a)}");
            Assert.True(counts.Count > 50, $"only {counts.Count} distinct colours");
            Assert.True(counts.GetValueOrDefault(0xffffff) < width * height * 0.95, "the page is nearly blank");
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
