using System.Globalization;
using ModelBuild.Compression.Pipeline;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>
/// Random graphs through the whole build with a compression pass (one pass per graph, in turn): the build must
/// succeed, which includes its own check of the generated code's plan against ONNX Runtime on the compressed model
/// (MB5004 otherwise), and the compressed model must keep the original's output shapes. Random graphs share weights
/// between nodes and orientations, which passes that rewrite or cut a weight must handle (bug case c18).
/// Default: every 10th of the default graphs; <c>MODELBUILD_RANDOM_GRAPHS</c>/<c>_SEED</c> widen it as for the plan test.
/// </summary>
public sealed class CompressedRandomGraphTests
{
    private const int Every = 10;

    private static readonly string[] s_passes =
    [
        """{ "passes": [ { "quantize": { "weights": "int8" } } ] }""",
        """{ "passes": [ { "prune-structured": { "fraction": 0.5 } } ] }""",
        """{ "passes": [ { "lowrank": { "rank": 1 } } ] }""",
        """{ "passes": [ { "palettize": { "bits": 2 } } ] }""",
        """{ "passes": [ { "prune": { "sparsity": 0.5 } } ] }""",
        """{ "passes": [ { "quantize": { "weights": "fp16" } } ] }""",
        """{ "passes": [ { "quantize": { "weights": "int4", "granularity": "per-group", "groupSize": 2 } } ] }""",
    ];

    [Fact]
    public void RandomGraph_CompressedWithEachPass_BuildsAndVerifies()
    {
        var first = Env("MODELBUILD_RANDOM_GRAPHS_SEED", 1);
        var count = Env("MODELBUILD_RANDOM_GRAPHS", 300);
        var failures = new List<string>();
        var dir = Directory.CreateTempSubdirectory("mb-random-compressed-");
        try
        {
            for (var seed = first; seed < first + count; seed++)
            {
                if (seed % Every != 0)
                {
                    continue;
                }

                var graph = RandomGraphGenerator.Generate(seed);
                var manifest = s_passes[seed / Every % s_passes.Length];
                var model = Path.Combine(dir.FullName, $"seed{seed.ToString(CultureInfo.InvariantCulture)}.onnx");
                Onnx.OnnxWriter.WriteFile(graph.Model, model);
                File.WriteAllText(model + ".json", manifest);
                try
                {
                    var result = CompressionPipeline.Run(new CompressionRequest(model, model + ".json", "RandomGraph", "Test", Path.Combine(dir.FullName, "out"),
                        "Test.RandomGraph.weights.mbw"), Evaluation.Services.EvaluationServices.Create());
                    var compressed = graph with { Model = Onnx.OnnxReader.Read(File.ReadAllBytes(result.CompressedModelPath), null) };
                    var shapes = DifferentialCheck.Reference(compressed).Select(o => string.Join(",", o.Dims));
                    var expected = DifferentialCheck.Reference(graph).Select(o => string.Join(",", o.Dims));
                    if (!shapes.SequenceEqual(expected))
                    {
                        failures.Add(DifferentialCheck.Failure(graph, $"{manifest}: the compressed model's outputs are [{string.Join("] [", shapes)}], the original's [{string.Join("] [", expected)}]"));
                    }
                }
                catch (Exception e)
                {
                    failures.Add(DifferentialCheck.Failure(graph, $"{manifest}: {e.GetType().Name}: {e.Message}"));
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} compressed random graphs failed:\n" + string.Join("\n", failures.Take(20)));
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
