using System.Diagnostics;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Compression.Validation;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Tests.Reporting.Html;

/// <summary>
/// A report for mnist_cnn_fc128 with every part measured for real: the sample manifest's compression and its
/// accuracy gate, the four int8 variants as tried points, per-layer sensitivity (only that layer compressed),
/// fc1.weight's histogram and pass timings. It runs the pipeline's own stages (the pipeline does not return its report).
/// </summary>
internal static class MnistReport
{
    public static string ModelPath => TestPaths.Model("mnist_cnn_fc128.onnx");

    public static string ManifestPath => Path.Combine(TestPaths.RepoRoot, "samples", "MnistDigits", "Models", "mnist.compress.json");

    public static CompressionReport Build()
    {
        var manifest = CompressionManifest.Load(ManifestPath);
        var timings = new List<PassTiming>();
        var run = Compress(manifest, null, timings);
        var accuracy = AccuracyGate.Check(manifest, ModelPath, run.Onnx, TestServices.Default, null)!;

        var ungated = (PassSpec spec) => new CompressionManifest([spec], null, manifest.Path) { Validation = manifest.Validation };
        var tried = new List<TriedPoint> { new(new FileInfo(ModelPath).Length, accuracy.Original, "float32 (original)", false) };
        foreach (var granularity in new[] { QuantGranularity.PerChannel, QuantGranularity.PerTensor })
        {
            foreach (var symmetric in new[] { true, false })
            {
                var spec = new QuantizeSpec(WeightType.Int8, granularity, symmetric);
                var variant = ungated(spec);
                var r = Compress(variant, null, null);
                var score = AccuracyGate.Check(variant, ModelPath, r.Onnx, TestServices.Default, null)!.Compressed;
                var chosen = manifest.Passes.SequenceEqual([spec]);
                tried.Add(new TriedPoint(r.Blob.Length, score, $"int8 {(granularity == QuantGranularity.PerChannel ? "per-channel" : "per-tensor")} {(symmetric ? "sym" : "asym")}", chosen));
            }
        }

        var sensitivity = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var layer in run.Context.Stored.Keys.Order(StringComparer.Ordinal))
        {
            var only = Compress(manifest, layer, null);
            sensitivity[layer] = accuracy.Original - AccuracyGate.Check(ungated(manifest.Passes[0]), ModelPath, only.Onnx, TestServices.Default, null)!.Compressed;
        }

        var report = new CompressionReport(Path.GetFileName(ModelPath), manifest.Describe(), run.Rows, accuracy)
        {
            ModelName = "MnistModel",
            OriginalFileBytes = new FileInfo(ModelPath).Length,
            EmbeddedBytes = run.Blob.Length,
            Tolerance = manifest.Tolerance,
            ManifestText = File.ReadAllText(ManifestPath),
            Notes = run.Context.Notes,
            Timings = timings,
            TriedPoints = tried,
        }.WithWeightDetails(run.Originals, run.Context.Stored, run.Ops);
        return report with
        {
            Weights = report.Weights.Select(w => sensitivity.TryGetValue(w.Name, out var s) ? w with { Sensitivity = s } : w).ToList(),
        };
    }

    /// <summary>The pipeline's stages up to the compressed ONNX; <paramref name="only"/> keeps one layer's storage decision.</summary>
    private static Run Compress(CompressionManifest manifest, string? only, List<PassTiming>? timings)
    {
        var clock = Stopwatch.StartNew();
        var graph = OnnxImporter.Import(ModelPath);
        GraphOptimizer.Simplify(graph);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);
        timings?.Add(new PassTiming("import, simplify, infer shapes", clock.Elapsed.TotalMilliseconds));
        var context = new CompressionContext(graph, ModelPath, manifest.Path ?? "", null, null);
        var originals = context.Layers().ToDictionary(l => l.Name, context.GetMatrix, StringComparer.Ordinal);
        var ops = CompressionReport.OperatorsByWeight(graph);
        foreach (var pass in manifest.Passes)
        {
            clock.Restart();
            pass.CreatePass().Apply(context);
            ShapeInference.Run(graph);
            timings?.Add(new PassTiming(pass.Describe(), clock.Elapsed.TotalMilliseconds));
        }

        foreach (var name in context.Stored.Keys.Where(k => only is not null && k != only).ToList())
        {
            context.Stored.Remove(name);
        }

        clock.Restart();
        var target = new PlanTarget("MnistModel", "Demo", Path.GetFileName(ModelPath), "Demo.MnistModel.weights.mbw");
        var (_, weights) = PlanBuilder.Build(graph, ModelPath, target, context.Stored);
        var (blob, rows) = BlobAssembler.Build(weights, originals, context.EntropyCoding);
        var onnx = CompressedOnnx.Build(context);
        timings?.Add(new PassTiming("plan, blob, compressed ONNX", clock.Elapsed.TotalMilliseconds));
        return new Run(context, originals, ops, rows, blob, onnx);
    }

    private sealed record Run(CompressionContext Context, Dictionary<string, float[]> Originals, IReadOnlyDictionary<string, string> Ops, List<WeightReportRow> Rows, byte[] Blob, byte[] Onnx);
}
