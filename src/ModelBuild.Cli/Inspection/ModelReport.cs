using System.Globalization;
using ModelBuild.Graph;

namespace ModelBuild.Cli.Inspection;

/// <summary>The text that <c>modelbuild inspect</c> prints. Numbers use the invariant culture so output is stable.</summary>
public static class ModelReport
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter w, string path, long fileBytes, ModelGraph graph)
    {
        w.WriteLine($"File:        {Path.GetFullPath(path)} ({N(fileBytes)} bytes)");
        w.WriteLine($"IR version:  {graph.IrVersion.ToString(s_inv)}");
        var producer = (graph.ProducerName + " " + graph.ProducerVersion).Trim();
        w.WriteLine($"Producer:    {(producer.Length > 0 ? producer : "(not set)")}");
        w.WriteLine($"Opsets:      {string.Join(", ", graph.Opsets.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version.ToString(s_inv)}"))}");
        if (graph.Name.Length > 0)
        {
            w.WriteLine($"Graph:       {graph.Name}");
        }

        w.WriteLine();
        WriteValues(w, "Inputs", graph.Inputs);
        WriteValues(w, "Outputs", graph.Outputs);
        WriteOperators(w, graph);
        WriteWeights(w, graph);
    }

    private static void WriteValues(TextWriter w, string title, IReadOnlyList<ValueInfo> values)
    {
        w.WriteLine($"{title}:");
        Table(w, values.Select(v => new[] { v.Name, v.ElementType.OnnxName(), v.Shape?.ToString() ?? "(unknown rank)" }).ToList(), []);
        w.WriteLine();
    }

    private static void WriteOperators(TextWriter w, ModelGraph graph)
    {
        // Constant nodes were turned into weights on import; count them so the histogram matches the file.
        var ops = graph.Nodes.Select(n => n.IsDefaultDomain ? n.OpType : $"{n.Domain}:{n.OpType}")
            .Concat(graph.Initializers.Where(t => t.Origin == TensorOrigin.ConstantNode).Select(_ => "Constant"))
            .GroupBy(op => op, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        w.WriteLine($"Operators ({N(ops.Sum(g => g.Count()))} nodes):");
        Table(w, ops.Select(g => new[] { g.Key, N(g.Count()) }).ToList(), [1]);
        w.WriteLine();
    }

    private static void WriteWeights(TextWriter w, ModelGraph graph)
    {
        w.WriteLine($"Weights ({N(graph.InitializerCount)} tensors):");
        var rows = new List<string[]> { new[] { "name", "dtype", "shape", "params", "bytes", "origin" } };
        rows.AddRange(graph.Initializers.Select(t => new[]
        {
            t.Name,
            t.DataType.OnnxName(),
            t.Shape.ToString(),
            WeightSummary.IsParameter(t) ? N(t.ElementCount) : "-",
            N(t.RawData.LongLength),
            t.Origin switch { TensorOrigin.ConstantNode => "Constant node", TensorOrigin.Initializer => "Initializer", _ => "Created" },
        }));
        Table(w, rows, [3, 4]);
        w.WriteLine();

        var s = WeightSummary.Of(graph);
        w.WriteLine($"Parameters:   {N(s.Parameters)} in {N(s.WeightTensors)} tensors");
        w.WriteLine($"Weight bytes: {N(s.WeightBytes)}");
        if (s.ShapeTensors > 0)
        {
            w.WriteLine($"Not counted:  {N(s.ShapeTensors)} int64 shape/index tensors ({N(s.ShapeElements)} values)");
        }
    }

    /// <summary>Writes space-aligned columns; columns listed in <paramref name="rightAligned"/> are numbers.</summary>
    private static void Table(TextWriter w, List<string[]> rows, int[] rightAligned)
    {
        if (rows.Count == 0)
        {
            w.WriteLine("  (none)");
            return;
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => rightAligned.Contains(c) ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            w.WriteLine("  " + string.Join("  ", cells).TrimEnd());
        }
    }

    private static string N(long value) => value.ToString("N0", s_inv);
}
