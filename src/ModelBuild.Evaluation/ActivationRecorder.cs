using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Evaluation;

/// <summary>
/// Records intermediate values of a graph over a dataset by declaring them as extra graph outputs and running
/// ONNX Runtime: the inputs calibration methods (GPTQ, ranges, sensitivity) need.
/// </summary>
public static class ActivationRecorder
{

    /// <summary>
    /// Runs <paramref name="count"/> samples through the graph's first input and returns, for every name in
    /// <paramref name="valueNames"/>, all samples' values concatenated along the batch axis with shape
    /// [count, ...]. A value that does not depend on the batch (its leading dimension differs from the batch run)
    /// is returned once, as computed on the first batch. The graph is left unchanged.
    /// </summary>
    /// <remarks>
    /// Whether a value is per-sample is judged from its leading dimension, so with a batch of 1 a batch-independent
    /// value whose first dimension is 1 is treated as per-sample. Values must be float or convertible to float.
    /// </remarks>
    /// <param name="graph">The model; left unchanged.</param>
    /// <param name="valueNames">Values to record (graph value names).</param>
    /// <param name="samples">count samples for the first input, concatenated.</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="batchSize">Samples per run (unless the model's batch is fixed).</param>
    /// <param name="dataShape">One sample's shape as the data gives it, which fills in the input's unknown dimensions (as in <see cref="OnnxRuntimeSession.RunAll"/>); or null.</param>
    public static IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Record(
        ModelGraph graph, IReadOnlyList<string> valueNames, float[] samples, int count, int batchSize = 256, int[]? dataShape = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(valueNames);
        ArgumentNullException.ThrowIfNull(samples);
        // Streamed to a temporary file that ONNX Runtime reads itself: the graph's weights (deferred ones produced one
        // at a time) are never also a managed copy of the whole model next to ONNX Runtime's, which calibrated passes
        // on a multi-gigabyte model would pay once per layer. Large weights go to an external data file beside it:
        // no 2 GiB protobuf limit, and ONNX Runtime maps them instead of parsing and then copying them (issue 12).
        using var file = ExportWithOutputs(graph, valueNames);
        using var session = OnnxRuntimeSession.FromCompressedFile(file.Path, (graph.Name.Length > 0 ? graph.Name : "graph") + " (recording)");
        return Record(session, samples, count, batchSize, valueNames, dataShape);
    }

    private static IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Record(
        OnnxRuntimeSession session, float[] samples, int count, int batchSize, IReadOnlyList<string> valueNames, int[]? dataShape)
    {
        // The same resolution and checks as the accuracy gate's runs: unknown dimensions from the data, MB4004/MB4002 otherwise.
        int[] sampleShape = session.SampleShape(samples.Length, count, dataShape);
        int sampleSize = sampleShape.Aggregate(1, (a, d) => a * d);

        int batch = session.FixedBatch ? session.BatchSize : Math.Clamp(batchSize, 1, Math.Max(count, 1));
        var parts = valueNames.Distinct().ToDictionary(n => n, _ => new List<(float[] Data, int[] Shape)>(), StringComparer.Ordinal);
        var batched = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            int rows = session.FixedBatch ? batch : n;
            var data = new float[rows * sampleSize];
            samples.AsSpan(start * sampleSize, n * sampleSize).CopyTo(data);
            var inputs = new Dictionary<string, (float[] Data, int[] Shape)> { [session.FirstInputName] = (data, [rows, .. sampleShape]) };
            foreach (var (name, (values, shape)) in session.Run(inputs, parts.Keys))
            {
                // Only the first batch decides whether the value is per-sample; later batches follow it.
                bool perSample = batched.TryGetValue(name, out bool known) ? known : (batched[name] = shape is [var b, ..] && b == rows);
                if (!perSample)
                {
                    if (parts[name].Count == 0)
                    {
                        parts[name].Add((values, shape));
                    }

                    continue;
                }

                // A padded fixed batch: keep only the real samples' rows.
                int keep = values.Length / rows * n;
                parts[name].Add((keep == values.Length ? values : values[..keep], [n, .. shape[1..]]));
            }
        }

        return parts.ToDictionary(p => p.Key, p => Concat(p.Value, batched.GetValueOrDefault(p.Key)), StringComparer.Ordinal);
    }

    private static TemporaryOnnxFile ExportWithOutputs(ModelGraph graph, IReadOnlyList<string> valueNames)
    {
        var produced = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        produced.UnionWith(graph.Inputs.Select(i => i.Name));
        var saved = graph.Outputs.ToList();
        try
        {
            foreach (var name in valueNames.Distinct())
            {
                if (!produced.Contains(name))
                {
                    throw new ArgumentException($"'{name}' is not a graph input or a node output.", nameof(valueNames));
                }

                if (!graph.IsGraphOutput(name))
                {
                    // The shape is left open: ONNX Runtime fills it in, and a stale declared shape could only conflict.
                    var type = graph.GetValueInfo(name)?.ElementType is { } t and not DataType.Undefined ? t : DataType.Float;
                    graph.Outputs.Add(new ValueInfo(name, type, null));
                }
            }

            return TemporaryOnnxFile.Write(graph, "recording");
        }
        finally
        {
            graph.Outputs.Clear();
            graph.Outputs.AddRange(saved);
        }
    }

    private static (float[] Data, int[] Shape) Concat(List<(float[] Data, int[] Shape)> parts, bool perSample)
    {
        if (!perSample || parts.Count == 1)
        {
            return parts.Count == 0 ? ([], [0]) : parts[0];
        }

        var data = new float[parts.Sum(p => (long)p.Data.Length)];
        int offset = 0;
        foreach (var (values, _) in parts)
        {
            values.CopyTo(data, offset);
            offset += values.Length;
        }

        int[] shape = [parts.Sum(p => p.Shape[0]), .. parts[0].Shape[1..]];
        return (data, shape);
    }
}
