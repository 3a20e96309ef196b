using System.Globalization;
using System.Text.RegularExpressions;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.ActivationScaling;

/// <summary>
/// AWQ and SmoothQuant through the whole build on mnist_mlp_256: the plan (with AWQ's Mul before the first Gemm) is
/// checked against ONNX Runtime on the compressed model by the pipeline's own verifier, the accuracy gate passes,
/// the report's per-layer output errors are in the original model's terms (the rescaling divided out), and the
/// outputs are byte-identical on a second run.
/// </summary>
public sealed partial class ActivationScalingPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-awq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("""{ "awq": { "weights": "int4", "groupSize": 64 } }""", "awq 'net.3.weight'")]
    [InlineData("""{ "smoothquant": {} }, { "quantize": { "weights": "int8" } }""", "smoothquant 'net.3.weight'")]
    public void Build_verifies_its_plan_passes_the_gate_and_reports_errors_in_the_original_terms(string passes, string note)
    {
        var manifest = Manifest(passes);

        var result = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Scaled", "", Path.Combine(_dir, "a"), "r"), TestServices.Default);

        Assert.EndsWith("ok", result.Summary, StringComparison.Ordinal);
        var report = File.ReadAllText(result.ReportPath);
        Assert.Contains(note, report, StringComparison.Ordinal);
        Assert.Contains("folded into Gemm '/net/net.0/Gemm' through Relu", report, StringComparison.Ordinal);
        var errors = OutputError().Matches(report).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(3, errors.Count);
        // int4 g64 and int8 change each layer's output by a few per cent; without dividing the scales out the
        // comparison would be of W·diag(s) against W (tens to hundreds of per cent).
        Assert.All(errors, e => Assert.True(e.Value < 10, $"{e.Key}: {e.Value} % ({result.Summary})"));

        var again = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Scaled", "", Path.Combine(_dir, "b"), "r"), TestServices.Default);
        Assert.Equal(File.ReadAllBytes(result.WeightsPath), File.ReadAllBytes(again.WeightsPath));
        Assert.Equal(File.ReadAllBytes(result.PlanPath), File.ReadAllBytes(again.PlanPath));
    }

    private string Manifest(string passes)
    {
        var mnist = TestPaths.MnistDir.Replace("\\", "/", StringComparison.Ordinal);
        var path = Path.Combine(_dir, "scaled.compress.json");
        File.WriteAllText(path, $$"""
            {
              "calibration": { "images": "{{mnist}}/train-2k-images-idx3-ubyte.gz", "preprocessing": "unit", "count": 256 },
              "passes": [ {{passes}} ],
              "validation": { "images": "{{mnist}}/t10k-images-idx3-ubyte.gz", "labels": "{{mnist}}/t10k-labels-idx1-ubyte.gz", "preprocessing": "unit", "metric": "top1", "count": 2000 },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);
        return path;
    }

    [GeneratedRegex(@"output error ‖WX−ŴX‖/‖WX‖ of (\S+) on calibration data: ([0-9.]+)\s?%")]
    private static partial Regex OutputError();
}
