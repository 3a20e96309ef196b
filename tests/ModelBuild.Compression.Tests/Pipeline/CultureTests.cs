using System.Globalization;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>The pipeline's summary, report and errors read the same under any culture (build logs are compared and grepped).</summary>
public sealed class CultureTests
{
    [Fact]
    public void SummaryAndReport_UnderGerman_UseInvariantNumbers()
    {
        var german = CultureInfo.GetCultureInfo("de-DE");
        Assert.Equal("4,0", 4.0.ToString("0.0", german)); // else this machine lacks culture data and the test proves nothing
        var dir = Path.Combine(Path.GetTempPath(), "mb-culture-" + Guid.NewGuid().ToString("N"));
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = german;
        try
        {
            var result = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), "", "Mlp", "Test", dir, "Test.Mlp.weights.mbw"), TestServices.Default);
            Assert.Contains("(4.0x)", result.Summary);
            Assert.Matches(@"^mnist_mlp_256\.onnx -> Mlp: 919\.9 KiB -> \d+\.\d KiB embedded", result.Summary);
            Assert.DoesNotMatch(@"\d,\d{1,2} ", File.ReadAllText(result.ReportPath)); // no decimal commas in the report
            Assert.Equal(german, CultureInfo.CurrentCulture);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            Directory.Delete(dir, recursive: true);
        }
    }
}
