using System;
using System.Collections.Generic;
using System.Linq;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Parsing;

/// <summary>
/// Reads a plan (CONTRACTS §1, version 2) into a <see cref="PredictorSpec"/>. Dependency-free and pure, so the
/// generator can cache on its result and the tests can call it directly.
/// </summary>
internal static partial class PlanParser
{
    /// <summary>Record keywords in the order the contract lists them; the index is the processing rank.</summary>
    private static readonly string[] s_keywords =
        ["mbplan", "class", "namespace", "source", "resource", "info", "weight", "value", "input", "output", "op", "end"];

    private static readonly HashSet<string> s_singletons =
        ["mbplan", "class", "namespace", "source", "resource", "info", "end"];

    public static PlanResult Parse(string path, string text)
    {
        var lines = text.Split('\n');
        try
        {
            var spec = new Builder(path).Build(ReadRecords(lines));
            return new PlanResult(spec, EquatableArray<DiagnosticInfo>.Empty);
        }
        catch (PlanException e)
        {
            // Roslyn wants a text span as well as the line position: point at the rest of the offending line.
            var offset = 0;
            for (var i = 0; i < e.Line - 1 && i < lines.Length; i++)
            {
                offset += lines[i].Length + 1;
            }

            var lineText = e.Line - 1 < lines.Length ? lines[e.Line - 1].TrimEnd('\r') : "";
            var column = Math.Min(e.Column, lineText.Length + 1);
            var diagnostic = new DiagnosticInfo(e.Id, e.Message, path, e.Line, column, offset + column - 1, lineText.Length - (column - 1));
            return new PlanResult(null, EquatableArray.From([diagnostic]));
        }
    }

    private static List<PlanRecord> ReadRecords(string[] lines)
    {
        var records = new List<PlanRecord>();
        var ended = false;
        for (var n = 1; n <= lines.Length; n++)
        {
            var line = lines[n - 1].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (ended)
            {
                throw new PlanException(DiagnosticIds.MalformedPlan, "content after 'end'", n, 1);
            }

            var tokens = PlanTokenizer.Tokenize(line, n);
            var first = tokens[0];
            if (first.Key is not null || first.Quoted)
            {
                throw new PlanException(DiagnosticIds.MalformedPlan, "a record must start with a keyword", n, 1);
            }

            if (Array.IndexOf(s_keywords, first.Value) < 0)
            {
                throw new PlanException(DiagnosticIds.MalformedPlan, "unknown record '" + first.Value + "'", n, 1);
            }

            var record = new PlanRecord(n, tokens);
            if (records.Count == 0 && record.Keyword != "mbplan")
            {
                throw record.Error("the plan must start with 'mbplan 2'");
            }

            if (record.Keyword == "mbplan" && records.Count == 0 && record.Arg(0).Value != "2")
            {
                throw new PlanException(
                    DiagnosticIds.UnsupportedVersion,
                    "plan version " + record.Arg(0).Value + " is not supported (this generator reads version 2)",
                    n,
                    record.Arg(0).Column);
            }

            if (s_singletons.Contains(record.Keyword) && records.Any(r => r.Keyword == record.Keyword))
            {
                throw record.Error("'" + record.Keyword + "' appears twice");
            }

            ended = record.Keyword == "end";
            records.Add(record);
        }

        if (!ended)
        {
            var last = lines.Length > 0 && lines[lines.Length - 1].Length == 0 ? lines.Length - 1 : lines.Length;
            throw new PlanException(DiagnosticIds.MalformedPlan, "the plan is truncated: the 'end' record is missing", Math.Max(last, 1), 1);
        }

        // Stable sort by rank: headers before the tables that refer to them, ops keep their file order.
        return records.OrderBy(r => Array.IndexOf(s_keywords, r.Keyword)).ToList();
    }
}
