using System.Globalization;
using System.Text.RegularExpressions;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph.Onnx;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// The <c>quantize-activations</c> pass through the whole pipeline on mnist_mlp_256: the plan runs QuantizedDenseOp,
/// the compressed .onnx holds the same integer maths in standard operators, the build's own plan check runs both
/// (the generated code's plan vs ONNX Runtime on that .onnx) and the accuracy gate measures top-1 on t10k.
/// </summary>
public sealed partial class ActivationQuantizationTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-int8act-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("dynamic", "DynamicQuantizeLinear")]
    [InlineData("static", "QuantizeLinear")]
    public void Mlp_RunsInt8Activations_MatchingOnnxRuntimeOnTheExportedIntegerGraph(string mode, string quantizeOp)
    {
        var result = Run($$"""{ "quantize-activations": { "mode": "{{mode}}" } }""");
        log.WriteLine(result.Summary);

        var plan = File.ReadAllText(result.PlanPath);
        var ops = QuantizedDenseOps().Matches(plan);
        Assert.Equal(3, ops.Count); // every Gemm of the MLP
        Assert.DoesNotContain("op Dense ", plan, StringComparison.Ordinal);
        foreach (Match op in ops)
        {
            var scale = float.Parse(op.Groups["scale"].Value, CultureInfo.InvariantCulture);
            Assert.True(mode == "dynamic" ? scale == 0 : scale > 0, op.Value);
        }

        var graph = OnnxImporter.Import(result.CompressedModelPath);
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "MatMulInteger"));
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == quantizeOp));
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "Gemm" or "MatMul");

        // The plan check compared the generated code with ONNX Runtime on the integer graph: the integer sums agree
        // exactly, so what is left is float rounding in the scale/bias epilogue (far below the check's 1e-3).
        var report = File.ReadAllText(result.ReportPath);
        var difference = PlanCheckText.MaxRelativeDifference(report);
        log.WriteLine($"plan vs ONNX Runtime: max relative difference {difference:G3}");
        Assert.True(difference < 1e-5, $"max relative difference {difference}");
        if (mode == "static")
        {
            Assert.Matches("8-bit activations, static input scale [0-9.E-]+, zero point [0-9]+", report);
        }

        // Top-1 on 2,000 t10k images stays within the manifest's 1 pp (the gate would have thrown MB5001).
        Assert.Matches(@"top-1 9\d\.\d\d % -> 9\d\.\d\d % \(tolerance a drop of at most 1 pp\) ok", result.Summary);
    }

    [Fact]
    public void ExcludedOpType_KeepsFloatActivations()
    {
        var result = Run("""{ "quantize-activations": { "mode": "dynamic", "exclude": ["Gemm"] } }""");

        Assert.Empty(QuantizedDenseOps().Matches(File.ReadAllText(result.PlanPath)));
    }

    private CompressionResult Run(string pass)
    {
        var output = Path.Combine(_dir, "out");
        Directory.CreateDirectory(output);
        var images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz").Replace("\\", "/");
        var labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz").Replace("\\", "/");
        var train = Path.Combine(TestPaths.MnistDir, "train-2k-images-idx3-ubyte.gz").Replace("\\", "/");
        var manifest = Path.Combine(_dir, "m.json");
        File.WriteAllText(manifest, $$"""
            {
              "calibration": { "images": "{{train}}", "preprocessing": "unit", "count": 256 },
              "passes": [ {{pass}} ],
              "validation": { "images": "{{images}}", "labels": "{{labels}}", "preprocessing": "unit", "count": 2000, "metric": "top1" },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);
        return CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", output, "r"), TestServices.Default);
    }

    [GeneratedRegex(@"op QuantizedDense .*InputScale=(?<scale>\S+) InputZeroPoint=(?<zp>\d+)")]
    private static partial Regex QuantizedDenseOps();
}
