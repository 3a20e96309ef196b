using System.Text;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Storage;
using ModelBuild.Compression.Export;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// ONNX file → graph IR → simplification → manifest passes → plan + weights blob + compressed ONNX + report.
/// This is everything the build does for one model; the MSBuild task and the CLI are thin shells around it.
/// </summary>
public static class CompressionPipeline
{
    public static CompressionResult Run(CompressionRequest request, IProgress<string>? progress = null)
    {
        var manifest = request.ManifestPath.Length == 0 ? CompressionManifest.Default : CompressionManifest.Load(request.ManifestPath);
        progress?.Report($"reading {request.ModelPath}");
        var originalBytes = new FileInfo(request.ModelPath).Length;
        var graph = OnnxImporter.Import(request.ModelPath);

        progress?.Report("simplifying the graph and inferring shapes");
        GraphOptimizer.Simplify(graph);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);

        var quantized = new Dictionary<string, QuantizedTensor>(StringComparer.Ordinal);
        foreach (var pass in manifest.Passes)
        {
            progress?.Report($"applying {pass.Describe()}");
            switch (pass)
            {
                case QuantizeSpec q:
                    foreach (var weight in WeightRoles.FindMatrixWeights(graph))
                    {
                        var tensor = graph.GetInitializer(weight.Name)!;
                        quantized[weight.Name] = LinearQuantizer.QuantizeInt8(tensor, weight.OutputAxis, q.Granularity, q.Symmetric);
                    }

                    break;
                default:
                    throw new ModelBuildException("MB2003", request.ManifestPath, $"the pass '{pass.Describe()}' is not implemented yet.");
            }
        }

        progress?.Report("planning buffers and kernels");
        var target = new PlanTarget(request.ClassName, request.Namespace, Path.GetFileName(request.ModelPath), request.ResourceName);
        var matrices = quantized.ToDictionary(kv => kv.Key, kv => kv.Value.ToRowMajorMatrix(transpose: kv.Value.Axis == 1), StringComparer.Ordinal);
        var (plan, weights) = PlanBuilder.Build(graph, request.ModelPath, target, matrices);
        var blob = BuildBlob(weights);
        plan.OriginalBytes = originalBytes;
        plan.EmbeddedBytes = blob.Length;
        plan.Passes = string.Join(", ", manifest.Passes.Select(p => p.Describe()));

        var report = new CompressionReport(
            Path.GetFileName(request.ModelPath),
            manifest.Describe(),
            weights.Entries.Select(e => quantized.TryGetValue(e.Name, out var q) && e.Int8 is not null
                ? WeightReportRow.ForQuantized(q)
                : WeightReportRow.ForFloat(e.Name, e.Dims)).ToList())
        {
            OriginalFileBytes = originalBytes,
            EmbeddedBytes = blob.Length,
        };
        QuantizedOnnxRewriter.Apply(graph, quantized.Values.ToList());
        var compressedOnnx = OnnxExporter.ToBytes(graph);

        var stem = Path.Combine(request.OutputDirectory, request.ClassName);
        var files = new List<(string, byte[])>
        {
            (stem + ".weights.mbw", blob),
            (stem + ".compressed.onnx", compressedOnnx),
            (stem + ".report.md", Encoding.UTF8.GetBytes(report.ToMarkdown())),
            (stem + ".mbplan", Encoding.UTF8.GetBytes(PlanWriter.Write(plan))),
        };
        var changed = OutputFiles.WriteAll(files);
        var summary = $"{Path.GetFileName(request.ModelPath)} -> {request.ClassName}: {Kilobytes(originalBytes)} -> {Kilobytes(blob.Length)} embedded "
            + $"({(double)originalBytes / Math.Max(1, blob.Length):0.0}x), {plan.Ops.Count} ops, {plan.Passes}";
        return new CompressionResult(stem + ".mbplan", stem + ".weights.mbw", stem + ".compressed.onnx", stem + ".report.md",
            originalBytes, blob.Length, changed, summary);
    }

    private static byte[] BuildBlob(WeightTable weights)
    {
        var writer = new WeightBlobWriter();
        foreach (var entry in weights.Entries)
        {
            if (entry.Int8 is { } m)
            {
                writer.AddInt8(entry.Name, m.Rows, m.Cols, m.Values, m.RowScales, m.ZeroPoints, entry.Dims);
            }
            else
            {
                writer.Add(entry.Name, entry.Floats, entry.Dims);
            }
        }

        return writer.ToArray();
    }

    private static string Kilobytes(long bytes) => (bytes / 1024.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " KiB";
}
