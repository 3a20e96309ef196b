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
        var subgraphs = Subgraphs.Of(graph, path);
        WriteValues(w, "Inputs", graph.Inputs);
        WriteValues(w, "Outputs", graph.Outputs);
        WriteOperators(w, graph, subgraphs);
        WriteSubgraphs(w, subgraphs);
        WriteWeights(w, graph, subgraphs);
    }

    /// <summary>The "Generated runtime" section: what the build's planner covers, and what would fail a build.</summary>
    public static void WriteCoverage(TextWriter w, RuntimeCoverage coverage)
    {
        w.WriteLine();
        w.WriteLine("Generated runtime (the planning `dotnet build` runs):");
        if (coverage.PlannedNodes is not { } total)
        {
            w.WriteLine($"  a build fails with {coverage.Failure!.Code}: {coverage.Failure.Message}");
            return;
        }

        // The planner sees the graph after constant folding and fusion, so its count can be below the histogram's.
        var covered = total - coverage.BlockedNodes;
        w.WriteLine(coverage.Failure is null
            ? $"  covers all {N(total)} nodes (after constant folding and fusion)"
            : $"  covers {N(covered)} of {N(total)} nodes (after constant folding and fusion)");
        if (coverage.Failure is { } failure)
        {
            if (coverage.Blockers.Count > 0)
            {
                w.WriteLine($"  a build fails with {failure.Code}; not covered:");
                foreach (var blocker in coverage.Blockers)
                {
                    w.WriteLine("    " + blocker);
                }
            }
            else
            {
                w.WriteLine($"  a build fails with {failure.Code}: {failure.Message}");
            }
        }

        w.WriteLine($"  covered op types: {(coverage.CoveredOpTypes.Count > 0 ? string.Join(", ", coverage.CoveredOpTypes) : "(none)")}");
    }

    private static void WriteValues(TextWriter w, string title, IReadOnlyList<ValueInfo> values)
    {
        w.WriteLine($"{title}:");
        Table(w, values.Select(v => new[] { v.Name, v.ElementType.OnnxName(), v.Shape?.ToString() ?? "(unknown rank)" }).ToList(), []);
        w.WriteLine();
    }

    private static void WriteOperators(TextWriter w, ModelGraph graph, IReadOnlyList<Subgraph> subgraphs)
    {
        // Constant nodes were turned into weights on import; count them so the histogram matches the file.
        var main = graph.Nodes.Select(n => n.IsDefaultDomain ? n.OpType : $"{n.Domain}:{n.OpType}")
            .Concat(graph.Initializers.Where(t => t.Origin == TensorOrigin.ConstantNode).Select(_ => "Constant"))
            .Select(op => (Op: op, Inner: false));
        var inner = subgraphs.SelectMany(s => s.OpTypes
                .Concat(s.Weights.Where(t => t.Origin == TensorOrigin.ConstantNode).Select(_ => "Constant")))
            .Select(op => (Op: op, Inner: true));
        var ops = main.Concat(inner)
            .GroupBy(o => o.Op, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        var innerCount = ops.Sum(g => g.Count(o => o.Inner));
        w.WriteLine(subgraphs.Count == 0
            ? $"Operators ({N(ops.Sum(g => g.Count()))} nodes):"
            : $"Operators ({N(ops.Sum(g => g.Count()))} nodes, {N(innerCount)} of them inside {N(subgraphs.Count)} subgraphs):");
        var rows = ops.Select(g => new[] { g.Key, N(g.Count()), Inner(g.Count(o => o.Inner)) }).ToList();
        if (subgraphs.Count > 0)
        {
            rows.Insert(0, ["op", "nodes", "in subgraphs"]);
        }

        Table(w, rows, [1, 2]);
        w.WriteLine();

        static string Inner(int count) => count > 0 ? N(count) : "";
    }

    private static void WriteSubgraphs(TextWriter w, IReadOnlyList<Subgraph> subgraphs)
    {
        if (subgraphs.Count == 0)
        {
            return;
        }

        w.WriteLine($"Subgraphs ({N(subgraphs.Count)}; counted above and below, never executed):");
        var rows = new List<string[]> { new[] { "subgraph", "nodes", "weights", "params" } };
        rows.AddRange(subgraphs.Select(s => new[]
        {
            s.Path,
            N(s.OpTypes.Count + s.Weights.Count(t => t.Origin == TensorOrigin.ConstantNode)),
            N(s.Weights.Count),
            N(WeightSummary.Of(s.Weights).Parameters),
        }));
        Table(w, rows, [1, 2, 3]);
        w.WriteLine();
    }

    private static void WriteWeights(TextWriter w, ModelGraph graph, IReadOnlyList<Subgraph> subgraphs)
    {
        var all = graph.Initializers.Select(t => (Where: "", Tensor: t))
            .Concat(subgraphs.SelectMany(s => s.Weights.Select(t => (Where: $"[{s.Path}] ", Tensor: t))))
            .ToList();
        var innerCount = all.Count - graph.InitializerCount;
        w.WriteLine(innerCount == 0
            ? $"Weights ({N(all.Count)} tensors):"
            : $"Weights ({N(all.Count)} tensors, {N(innerCount)} of them inside subgraphs):");
        var rows = new List<string[]> { new[] { "name", "dtype", "shape", "params", "bytes", "origin" } };
        rows.AddRange(all.Select(x => new[]
        {
            x.Where + x.Tensor.Name,
            x.Tensor.DataType.OnnxName(),
            x.Tensor.Shape.ToString(),
            WeightSummary.IsParameter(x.Tensor) ? N(x.Tensor.ElementCount) : "-",
            N(x.Tensor.RawData.LongLength),
            x.Tensor.Origin switch { TensorOrigin.ConstantNode => "Constant node", TensorOrigin.Initializer => "Initializer", _ => "Created" },
        }));
        Table(w, rows, [3, 4]);
        w.WriteLine();

        var s = WeightSummary.Of(all.Select(x => x.Tensor));
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
