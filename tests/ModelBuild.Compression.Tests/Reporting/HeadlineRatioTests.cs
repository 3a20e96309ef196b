using System.Globalization;
using System.Text.RegularExpressions;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Reporting;

/// <summary>
/// The report's headline ratio is the ONNX file over the embedded blob whatever ran: low-rank factors and pruned
/// tensors are smaller than the weights they replace, so a ratio over the shipped tensors alone understates it.
/// </summary>
public sealed class HeadlineRatioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-ratio-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("""{ "lowrank": { "rank": 16 } }, { "quantize": { "weights": "int4" } }""")]
    [InlineData("""{ "prune-structured": { "fraction": 0.75 } }, { "quantize": { "weights": "int4" } }""")]
    public void Headline_is_file_bytes_over_embedded_bytes(string passes)
    {
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, $$"""{ "passes": [{{passes}}] }""");
        var model = TestPaths.Model("mnist_mlp_256.onnx");

        var result = CompressionPipeline.Run(new CompressionRequest(model, manifest, "Mlp", "", _dir, "r"), TestServices.Default);

        var expected = (double)new FileInfo(model).Length / new FileInfo(result.WeightsPath).Length;
        var markdown = File.ReadAllText(result.ReportPath);
        var headline = Regex.Match(markdown, @"- Compression: [\d,]+ → [\d,]+ bytes \((\d+\.\d\d)×");
        Assert.True(headline.Success, markdown);
        Assert.Equal(expected, double.Parse(headline.Groups[1].Value, CultureInfo.InvariantCulture), 0.006);
        var tensors = Regex.Match(markdown, @"- Tensors as shipped: .*\((\d+\.\d\d)×\)");
        Assert.True(double.Parse(tensors.Groups[1].Value, CultureInfo.InvariantCulture) < expected * 0.9, markdown); // the old headline, which understated it

        var html = File.ReadAllText(Path.ChangeExtension(result.ReportPath, ".html"));
        Assert.Contains(expected >= 10 ? $"({Math.Round(expected).ToString("0", CultureInfo.InvariantCulture)}×)" : $"({expected.ToString("0.0", CultureInfo.InvariantCulture)}×)", html);
    }
}
