using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>The build-time accuracy gate, through the whole pipeline (t10k for measuring, as a user would).</summary>
public sealed class AccuracyGateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-gate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Impossible_tolerance_fails_with_MB5001_showing_before_after_and_the_bound_and_writes_nothing()
    {
        var manifest = Manifest("""{ "minSqnrDb": 90 }""", metric: "sqnr");

        var e = Assert.Throws<ModelBuildException>(() => Run(manifest));

        Assert.Equal("MB5001", e.Code);
        Assert.Equal(manifest, e.File);
        Assert.Matches(@"SQNR dB inf dB -> \d+\.\d dB on 500 validation samples, but the manifest allows SQNR at least 90 dB", e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void Loose_tolerance_passes_and_the_report_and_summary_carry_the_measurement()
    {
        var manifest = Manifest("""{ "maxAccuracyDrop": 0.01 }""", metric: "top1");

        var result = Run(manifest);

        Assert.Matches(@"top-1 9\d\.\d\d % -> 9\d\.\d\d % \(tolerance a drop of at most 1 pp\) ok$", result.Summary);
        Assert.Empty(result.Warnings);
        Assert.Contains("top-1", File.ReadAllText(result.ReportPath));
    }

    [Theory]
    [InlineData("validation", "images")]
    [InlineData("validation", "labels")]
    [InlineData("calibration", "images")]
    public void Missing_data_file_is_MB4003_on_the_manifest_naming_the_key_before_any_pass(string section, string key)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz").Replace("\\", "/");
        var labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz").Replace("\\", "/");
        var data = new Dictionary<string, string> { ["images"] = images, ["labels"] = labels };
        data[key] = "no-such-folder/data.gz"; // relative: resolved from the manifest's folder
        var dataset = $$"""{ "images": "{{data["images"]}}", "labels": "{{data["labels"]}}", "preprocessing": "unit" }""";
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, section == "validation"
            ? $$"""{ "passes": [ { "quantize": {} } ], "validation": {{dataset[..^1]}}, "metric": "top1" } }"""
            : $$"""{ "passes": [ { "quantize": { "method": "gptq" } } ], "calibration": {{dataset}} }""");
        var lines = new List<string>();

        var e = Assert.Throws<ModelBuildException>(() => CompressionPipeline.Run(new CompressionRequest(
            TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", Path.Combine(_dir, "out"), "r"), TestServices.Default, new Recorder(lines)));

        Assert.Equal("MB4003", e.Code);
        Assert.Equal(manifest, e.File);
        Assert.Contains($"'{Path.Combine(_dir, "no-such-folder", "data.gz")}' named by '{section}.{key}' does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("the manifest's folder, " + _dir, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "out")));
        Assert.Empty(lines); // not even the model was read
    }

    [Fact]
    public void No_validation_section_warns_MB5002_for_lossy_passes()
    {
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, """{ "passes": [ { "quantize": {} } ] }""");

        var result = Run(manifest);

        Assert.Contains(result.Warnings, w => w.Contains("warning MB5002", StringComparison.Ordinal));
    }

    private CompressionResult Run(string manifest) => CompressionPipeline.Run(new CompressionRequest(
        TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", Path.Combine(_dir, "out"), "r"), TestServices.Default);

    private string Manifest(string tolerance, string metric)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz").Replace("\\", "/");
        var labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz").Replace("\\", "/");
        var path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, $$"""
            {
              "passes": [ { "quantize": { "granularity": "per-tensor" } } ],
              "validation": { "images": "{{images}}", "labels": "{{labels}}", "preprocessing": "unit", "count": 500, "metric": "{{metric}}" },
              "tolerance": {{tolerance}}
            }
            """);
        return path;
    }

    private sealed class Recorder(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
