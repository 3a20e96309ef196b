using ModelBuild.Compression.Auto;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// Auto mode end to end: sensitivities and the search use train-2k (calibration), the verdict uses all of t10k
/// (validation), as the data discipline demands.
/// </summary>
public sealed class AutoModeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-auto-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Smallest_model_within_half_a_point_meets_it_on_t10k_and_beats_the_best_uniform_setting()
    {
        var manifest = Manifest("scale=1/255 mean=0.5 std=0.5", """{ "maxAccuracyDrop": 0.005 }""");

        var result = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_cnn_fc128.onnx"), manifest, "Cnn", "", _dir, "r"), TestServices.Default);

        // The gate (which throws MB5001 on a miss) measured all 10,000 test images.
        Assert.Matches(@"top-1 98\.77 % -> 98\.\d\d % \(tolerance a drop of at most 0\.5 pp\) ok$", result.Summary);
        var report = File.ReadAllText(result.ReportPath);
        var match = System.Text.RegularExpressions.Regex.Match(report, @"= ([\d,]+) weight bytes; best uniform setting within the tolerance: int\S+ = ([\d,]+) bytes");
        Assert.True(match.Success, report);
        var chosen = long.Parse(match.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        var uniform = long.Parse(match.Groups[2].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(chosen < uniform, $"per-layer {chosen} bytes vs uniform {uniform} bytes");

        // The pinned manifest parses (it is what a user would commit).
        var pinned = Path.Combine(_dir, "Cnn.auto.compress.json");
        Assert.True(File.Exists(pinned));
        Assert.Contains("\"layers\"", File.ReadAllText(pinned));
        var again = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_cnn_fc128.onnx"), pinned, "Pinned", "", Path.Combine(_dir, "pinned"), "r"), TestServices.Default);
        // The quantize pass may store the same choice a little more compactly than auto's estimate; never larger.
        Assert.InRange(again.EmbeddedBytes, 1, result.EmbeddedBytes * 1.01);
    }

    [Fact]
    public void Auto_without_tolerance_or_budget_is_a_manifest_error()
    {
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse("""{ "mode": "auto" }""", "m.json"));
        Assert.Equal("MB2003", e.Code);
        Assert.Equal((1, 11), (e.Line, e.Column));
    }

    [Theory]
    [InlineData("int4", 4, 0)]
    [InlineData("int2-g64", 2, 64)]
    public void Candidate_names_parse(string name, int bits, int group) => Assert.Equal(new AutoCandidate(bits, group), AutoCandidate.Parse(name));

    private string Manifest(string preprocessing, string tolerance)
    {
        string Data(string file) => Path.Combine(TestPaths.MnistDir, file).Replace("\\", "/");
        var path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, $$"""
            {
              "mode": "auto",
              "calibration": { "images": "{{Data("train-2k-images-idx3-ubyte.gz")}}", "labels": "{{Data("train-2k-labels-idx1-ubyte.gz")}}", "preprocessing": "{{preprocessing}}" },
              "validation": { "images": "{{Data("t10k-images-idx3-ubyte.gz")}}", "labels": "{{Data("t10k-labels-idx1-ubyte.gz")}}", "preprocessing": "{{preprocessing}}", "metric": "top1" },
              "tolerance": {{tolerance}}
            }
            """);
        return path;
    }
}
