using System.Globalization;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>
/// Differential test: random valid graphs of covered operators, each planned and run by ModelBuild (plan interpreter
/// on every graph, generated and compiled code on a quarter of them) and compared with ONNX Runtime on the original.
/// Default: 300 graphs from seed 1 (seconds). On demand: <c>MODELBUILD_RANDOM_GRAPHS=5000</c> (count) and
/// <c>MODELBUILD_RANDOM_GRAPHS_SEED=…</c> (first seed); a failure prints its seed, the saved .onnx and the rerun line.
/// </summary>
public sealed class RandomGraphTests(ITestOutputHelper output)
{
    private const int DefaultCount = 300;
    private const int CompileEvery = 4;

    [Fact]
    public void RandomGraph_PlansAndRunsLikeOnnxRuntime()
    {
        var first = Env("MODELBUILD_RANDOM_GRAPHS_SEED", 1);
        var count = Env("MODELBUILD_RANDOM_GRAPHS", DefaultCount);
        var failures = new List<string>();
        var compiled = new List<(RandomGraph Graph, ModelBuildRunner.Prepared Prepared, IReadOnlyList<(int[], float[])> Expected)>();
        for (var seed = first; seed < first + count; seed++)
        {
            var graph = RandomGraphGenerator.Generate(seed);
            IReadOnlyList<(int[] Dims, float[] Data)> expected;
            try
            {
                expected = DifferentialCheck.Reference(graph);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
            {
                failures.Add(DifferentialCheck.Failure(graph, "the generator made a model ONNX Runtime rejects (a generator bug): " + e.Message));
                continue;
            }

            try
            {
                var (plan, blob) = DifferentialCheck.Plan(graph);
                if (DifferentialCheck.Compare(expected, DifferentialCheck.Interpret(graph, plan, blob)) is { } mismatch)
                {
                    failures.Add(DifferentialCheck.Failure(graph, "plan interpreter: " + mismatch));
                }
                else if (seed % CompileEvery == 0)
                {
                    compiled.Add((graph, ModelBuildRunner.Prepare("Seed" + seed.ToString(CultureInfo.InvariantCulture), graph.Model.ToByteArray()), expected));
                }
            }
            catch (Exception e)
            {
                // A valid graph of covered operators: an MB error is a refusal the build must not make, anything else a crash.
                failures.Add(DifferentialCheck.Failure(graph, $"ModelBuild threw {e.GetType().Name}: {e.Message}"));
            }
        }

        failures.AddRange(CheckGeneratedCode(compiled));
        output.WriteLine($"{count} random graphs from seed {first}: {count - failures.Count} match ONNX Runtime ({compiled.Count} also as compiled generated code)");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} random graphs differ from ONNX Runtime:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>The same plans through the source generator and the C# compiler (one compilation for all), called like user code.</summary>
    private static IEnumerable<string> CheckGeneratedCode(List<(RandomGraph Graph, ModelBuildRunner.Prepared Prepared, IReadOnlyList<(int[], float[])> Expected)> graphs)
    {
        if (graphs.Count == 0)
        {
            yield break;
        }

        var runner = ModelBuildRunner.Compile([.. graphs.Select(g => g.Prepared)]);
        foreach (var (graph, prepared, expected) in graphs)
        {
            if (runner.CompileFailures.TryGetValue(prepared.Key, out var error))
            {
                yield return DifferentialCheck.Failure(graph, "generated code: " + error);
                continue;
            }

            string? mismatch;
            try
            {
                var input = new Graph.Tensor("x", Graph.DataType.Float, [.. graph.InputShape.Select(d => (long)d)],
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(DifferentialCheck.Input(graph).AsSpan()).ToArray());
                var actual = runner.Run(prepared.Key, input).Select(o => (o.Dims.Select(d => (int)d).ToArray(), o.Data)).ToList();
                mismatch = DifferentialCheck.Compare(expected, actual);
            }
            catch (Exception e)
            {
                mismatch = $"threw {e.GetType().Name}: {e.Message}";
            }

            if (mismatch is not null)
            {
                yield return DifferentialCheck.Failure(graph, "generated code: " + mismatch);
            }
        }
    }

    [Fact]
    public void SameSeed_GivesTheSameModel()
    {
        Assert.Equal(RandomGraphGenerator.Generate(42).Model.ToByteArray(), RandomGraphGenerator.Generate(42).Model.ToByteArray());
        Assert.NotEqual(RandomGraphGenerator.Generate(42).Model.ToByteArray(), RandomGraphGenerator.Generate(43).Model.ToByteArray());
    }

    [Fact]
    public void DefaultSeeds_CoverTheKindsTheGeneratorPromises()
    {
        // If a change to the generator stopped producing one of these, the differential test would silently test less.
        var graphs = Enumerable.Range(1, DefaultCount).Select(RandomGraphGenerator.Generate).ToList();
        var text = string.Join("\n", graphs.Select(g => g.Summary));
        string[] kinds =
        [
            "shared", "C [1]", "C []", "C [", "transA 1", "transB 1", "B = A", "const, act", "act, const", "two activations", "same value twice",
            "MatMul(act, act)", "Conv(", "group", "Pool", "Softmax", "Reduce", "Reshape", "Concat", "Slice", "LayerNormalization", "BatchNormalization",
        ];
        Assert.All(kinds, k => Assert.Contains(k, text, StringComparison.Ordinal));
        Assert.Contains(graphs, g => g.Model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam == "N");
        Assert.Contains(graphs, g => g.Model.Graph.Output.Count > 1);
        Assert.Contains(graphs, g => g.Summary.Contains(", C [", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(g.Summary, @"C \[\d+,1\]"));
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
