using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>
/// Runs one random graph through ModelBuild (import → simplify → plan → the runtime's operators, as the build's plan
/// interpreter and the generated code do) and through ONNX Runtime on the original model, and compares every output.
/// A mismatch, or any exception, is a failure message that names the seed and the saved .onnx file.
/// </summary>
internal static class DifferentialCheck
{
    /// <summary>
    /// Allowed |ours − ORT| per element, relative to max(1, max |ORT output|): both sides reorder float32 sums (SIMD,
    /// blocking, ORT's fusions), which over a few chained products stays well below this; a wrong broadcast, orientation
    /// or bias is off by the output's own magnitude.
    /// </summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Where failing models are written, to rerun or inspect (Netron, onnx.checker).</summary>
    public static string FailureDirectory { get; } = Path.Combine(Path.GetTempPath(), "modelbuild-random-graphs");

    /// <summary>The graph's input: seeded values uniform in [-1, 1).</summary>
    public static float[] Input(RandomGraph graph)
    {
        var random = new Random(graph.Seed ^ 0x5EED);
        return [.. Enumerable.Range(0, graph.InputShape.Aggregate(1, (a, d) => a * d)).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    /// <summary>ONNX Runtime's outputs on the original model, in graph-output order: dims and values.</summary>
    public static IReadOnlyList<(int[] Dims, float[] Data)> Reference(RandomGraph graph)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(graph.Model.ToByteArray(), options);
        using var input = OrtValue.CreateTensorValueFromMemory(Input(graph), graph.InputShape.Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        var names = graph.Model.Graph.Output.Select(o => o.Name).ToArray();
        using var results = session.Run(runOptions, ["x"], [input], names);
        return [.. results.Select(r => (r.GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray(), r.GetTensorDataAsSpan<float>().ToArray()))];
    }

    /// <summary>The plan for the graph, as the build makes it with exact float32 weights.</summary>
    public static (string Plan, byte[] Blob) Plan(RandomGraph graph)
    {
        var dir = Directory.CreateTempSubdirectory("mb-random-graph-");
        try
        {
            var file = Path.Combine(dir.FullName, "random.onnx");
            File.WriteAllBytes(file, Onnx.OnnxWriter.Write(graph.Model));
            return ExactPlanner.Build(file, "RandomGraph");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The plan executed by the runtime's operators (what <c>PlanInterpreter</c> builds, the build verifies and the generated code calls).</summary>
    public static IReadOnlyList<(int[] Dims, float[] Data)> Interpret(RandomGraph graph, string plan, byte[] blob)
    {
        var program = PlanInterpreter.Load(plan, WeightBlob.Load(blob));
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], Input(graph), graph.InputShape);
        program.Run(context);
        return [.. program.Outputs.Select(o => (context.Shape(o).ToArray(), context.Floats(o).ToArray()))];
    }

    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>, else what differs first.</summary>
    public static string? Compare(IReadOnlyList<(int[] Dims, float[] Data)> expected, IReadOnlyList<(int[] Dims, float[] Data)> actual)
    {
        if (expected.Count != actual.Count)
        {
            return $"{actual.Count} outputs, ONNX Runtime has {expected.Count}";
        }

        for (var o = 0; o < expected.Count; o++)
        {
            var (dims, data) = expected[o];
            if (!dims.SequenceEqual(actual[o].Dims))
            {
                return $"output {o} has shape [{string.Join(",", actual[o].Dims)}], ONNX Runtime [{string.Join(",", dims)}]";
            }

            var scale = Math.Max(1f, data.Select(MathF.Abs).DefaultIfEmpty(0).Max());
            for (var i = 0; i < data.Length; i++)
            {
                var same = float.IsNaN(data[i]) ? float.IsNaN(actual[o].Data[i]) : MathF.Abs(data[i] - actual[o].Data[i]) <= Tolerance * scale;
                if (!same)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"output {o} element {i}: {actual[o].Data[i]:R}, ONNX Runtime {data[i]:R} (|Δ| > {Tolerance} × {scale:G4})");
                }
            }
        }

        return null;
    }

    /// <summary>Saves the model and returns the failure line: seed, what happened, the file and how to rerun it.</summary>
    public static string Failure(RandomGraph graph, string what)
    {
        Directory.CreateDirectory(FailureDirectory);
        var path = Path.Combine(FailureDirectory, $"seed{graph.Seed.ToString(CultureInfo.InvariantCulture)}.onnx");
        Onnx.OnnxWriter.WriteFile(graph.Model, path);
        return $"seed {graph.Seed}: {what}\n  graph: x[{string.Join(",", graph.InputShape)}] → {graph.Summary}\n  model: {path}"
            + $"\n  rerun: MODELBUILD_RANDOM_GRAPHS_SEED={graph.Seed} MODELBUILD_RANDOM_GRAPHS=1 dotnet test tests/ModelBuild.Conformance.Tests -c Release --filter RandomGraph";
    }
}
