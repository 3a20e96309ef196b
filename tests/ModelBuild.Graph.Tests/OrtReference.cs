using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Graph.Tests;

/// <summary>A value fed to or returned by ONNX Runtime: its shape and (for float tensors) its data.</summary>
internal sealed record OrtTensor(long[] Shape, float[]? Floats, long[]? Longs = null);

/// <summary>Runs graphs on ONNX Runtime, the reference for shapes and values.</summary>
internal static class OrtReference
{
    public static Dictionary<string, OrtTensor> Run(ModelGraph graph, IReadOnlyDictionary<string, OrtTensor> inputs) =>
        Run(OnnxExporter.ToBytes(graph), inputs);

    public static Dictionary<string, OrtTensor> Run(byte[] model, IReadOnlyDictionary<string, OrtTensor> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var values = inputs.Values.Select(t => t.Floats is not null
            ? OrtValue.CreateTensorValueFromMemory(t.Floats, t.Shape)
            : OrtValue.CreateTensorValueFromMemory(t.Longs!, t.Shape)).ToList();
        try
        {
            var outputNames = session.OutputMetadata.Keys.ToList();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Keys.ToList(), values, outputNames);
            var map = new Dictionary<string, OrtTensor>(StringComparer.Ordinal);
            for (var i = 0; i < outputNames.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                var floats = info.ElementDataType == TensorElementType.Float ? results[i].GetTensorDataAsSpan<float>().ToArray() : null;
                map[outputNames[i]] = new OrtTensor(info.Shape, floats);
            }

            return map;
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>
    /// Runs <paramref name="graph"/> on ONNX Runtime with random inputs (batch 2), simplifies it in place
    /// (<see cref="Passes.GraphOptimizer.Simplify"/>, built-in folding) and asserts ONNX Runtime gives every output the
    /// same shape and values after; returns the inputs.
    /// </summary>
    public static Dictionary<string, OrtTensor> AssertSimplifyKeepsOutputs(ModelGraph graph)
    {
        var inputs = RandomInputs(graph, 2);
        var expected = Run(OnnxExporter.ToBytes(graph), inputs);
        Passes.GraphOptimizer.Simplify(graph);
        var actual = Run(graph, inputs);
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value.Shape, actual[name].Shape);
            AssertClose(value.Floats!, actual[name].Floats!, name);
        }

        return inputs;
    }

    /// <summary>Random float inputs (uniform in [0, 1), fixed seed) for every graph input, with the symbolic dims given.</summary>
    public static Dictionary<string, OrtTensor> RandomInputs(ModelGraph graph, long batch, int seed = 42)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, OrtTensor>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            var shape = input.Shape!.Select(d => d.Value ?? batch).ToArray();
            var count = shape.Aggregate(1L, (a, d) => a * d);
            inputs[input.Name] = input.ElementType == DataType.Int64
                ? new OrtTensor(shape, null, Enumerable.Range(0, (int)count).Select(_ => (long)random.Next(0, 3)).ToArray())
                : new OrtTensor(shape, Enumerable.Range(0, (int)count).Select(_ => (float)random.NextDouble()).ToArray());
        }

        return inputs;
    }

    /// <summary>The model bytes of <paramref name="graph"/> with every node output that has an inferred type also a graph output.</summary>
    public static byte[] ExposeIntermediates(ModelGraph graph)
    {
        // No declared shape on the added outputs: ONNX Runtime reports the real ones independently.
        var added = graph.Nodes.SelectMany(n => n.Outputs)
            .Where(o => o.Length > 0 && !graph.IsGraphOutput(o) && graph.ValueInfos.ContainsKey(o))
            .Select(o => new ValueInfo(o, graph.ValueInfos[o].ElementType, null)).ToList();
        graph.Outputs.AddRange(added);
        try
        {
            return OnnxExporter.ToBytes(graph);
        }
        finally
        {
            graph.Outputs.RemoveRange(graph.Outputs.Count - added.Count, added.Count);
        }
    }

    /// <summary>Checks every inferred shape against the shapes ONNX Runtime produces; symbolic dims stand for <paramref name="batch"/>.</summary>
    public static int AssertInferredShapesMatch(ModelGraph inferred, IReadOnlyDictionary<string, OrtTensor> inputs, long batch, bool requireComplete = true)
    {
        var actual = Run(ExposeIntermediates(inferred), inputs);
        var checkedCount = 0;
        foreach (var node in inferred.Nodes)
        {
            foreach (var name in node.Outputs.Where(o => o.Length > 0))
            {
                Assert.True(actual.ContainsKey(name) || !requireComplete, $"no type inferred for '{name}' ({node.OpType})");
                if (!actual.TryGetValue(name, out var value) || inferred.ValueInfos.GetValueOrDefault(name)?.Shape is not { } shape)
                {
                    Assert.False(requireComplete, $"no shape inferred for '{name}' ({node.OpType})");
                    continue;
                }

                var expected = shape.Select(d => d.Value ?? (d.Symbol is not null ? batch : -1)).ToArray();
                Assert.True(!requireComplete || expected.All(d => d >= 0), $"'{name}' ({node.OpType}) has unknown dims {shape}");
                var matches = expected.Length == value.Shape.Length && expected.Zip(value.Shape).All(p => p.First < 0 || p.First == p.Second);
                Assert.True(matches, $"'{name}' ({node.OpType}): inferred {shape}, ONNX Runtime [{string.Join(",", value.Shape)}]");
                checkedCount++;
            }
        }

        return checkedCount;
    }

    /// <summary>Every element within 1e-5·max(1, |reference|).</summary>
    public static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = 1e-5 * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: reference {expected[i]:R}, simplified {actual[i]:R}");
        }
    }
}
