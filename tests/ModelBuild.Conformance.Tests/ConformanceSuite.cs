using System.Collections.Concurrent;
using System.Diagnostics;
using ModelBuild.Graph;

namespace ModelBuild.Conformance.Tests;

/// <summary>What happened to one node test (README.md here defines each).</summary>
internal enum Outcome
{
    NotApplicable,
    Unverified,
    Passed,
    Refused,
    Wrong,
    Crash,
}

/// <summary>One node test's verdict. <paramref name="Code"/> is the MB code of a refusal.
/// <paramref name="Runtime"/>: what ran it, <c>generated</c> or <c>onnxruntime</c> (the Auto fallback); null when nothing ran.</summary>
internal sealed record TestResult(string Test, string Operator, Outcome Outcome, string Detail = "", string? Code = null, string? Runtime = null);

/// <summary>
/// Runs node tests through both references and ModelBuild: load → classify → convert → ONNX Runtime must reproduce
/// output_*.pb (else the conversion is unverified and ModelBuild is not judged on it) → plan → one compilation
/// of all predictors → run and compare with output_*.pb.
/// </summary>
internal static class ConformanceSuite
{
    /// <summary>Node-test models are tiny: any run beyond this is a hang.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private sealed record Pending(NodeTestCase Test, string Operator, ModelBuildRunner.Prepared Prepared);

    public static IReadOnlyList<TestResult> Run(IReadOnlyList<string> folders, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var cases = new ConcurrentDictionary<string, NodeTestCase>(StringComparer.Ordinal);
        var results = new ConcurrentBag<TestResult>();
        Parallel.ForEach(folders, Parallelism(), folder =>
        {
            try
            {
                cases[Path.GetFileName(folder)] = NodeTestCase.Load(folder);
            }
            catch (Exception e)
            {
                results.Add(new TestResult(Path.GetFileName(folder), "?", Outcome.Crash, "reading the test: " + OneLine(e)));
            }
        });

        // Expanded tests are filed under the operator of their single-node sibling.
        var singleOp = cases.Values.Where(c => c.Model.Graph.Node.Count == 1).ToDictionary(c => c.Name, c => c.Model.Graph.Node[0].OpType, StringComparer.Ordinal);
        var pending = new ConcurrentBag<Pending>();
        Parallel.ForEach(cases.Values, Parallelism(), test =>
        {
            var op = Applicability.OperatorOf(test, singleOp);
            var result = Prepare(test, op, out var prepared);
            if (prepared is not null)
            {
                pending.Add(new Pending(test, op, prepared));
            }
            else
            {
                results.Add(result!);
            }
        });
        log($"loaded, checked in ONNX Runtime and planned {cases.Count} tests (elapsed {clock.Elapsed.TotalSeconds:0.0} s)");

        var ordered = pending.OrderBy(p => p.Test.Name, StringComparer.Ordinal).ToList();
        var runner = ModelBuildRunner.Compile(ordered.Select(p => p.Prepared).ToList());
        log($"generated and compiled {ordered.Count} predictors in one compilation (elapsed {clock.Elapsed.TotalSeconds:0.0} s)");

        foreach (var p in ordered)
        {
            results.Add(runner.CompileFailures.TryGetValue(p.Test.Name, out var failure)
                ? new TestResult(p.Test.Name, p.Operator, Outcome.Crash, failure)
                : Execute(runner, p) with { Runtime = p.Prepared.Runtime });
        }

        log($"ran {ordered.Count - runner.CompileFailures.Count} predictors (elapsed {clock.Elapsed.TotalSeconds:0.0} s)");
        return results.OrderBy(r => r.Test, StringComparer.Ordinal).ToList();
    }

    /// <summary>Everything before code generation; returns a final result, or null with the planned model.</summary>
    private static TestResult? Prepare(NodeTestCase test, string op, out ModelBuildRunner.Prepared? prepared)
    {
        prepared = null;
        if (Applicability.NotApplicable(test, op) is { } reason)
        {
            return new TestResult(test.Name, op, Outcome.NotApplicable, reason);
        }

        byte[] converted;
        try
        {
            converted = NodeTestConverter.ConvertToBytes(test);
        }
        catch (ModelBuildException e)
        {
            // The project's own reader refused the test model: that is a refusal like any other.
            return new TestResult(test.Name, op, Outcome.Refused, "importing: " + OneLine(e), e.Code);
        }

        if (CheckInOrt(test, converted) is { } unverified)
        {
            return new TestResult(test.Name, op, Outcome.Unverified, unverified);
        }

        try
        {
            prepared = ModelBuildRunner.Prepare(test.Name, converted);
            return null;
        }
        catch (ModelBuildException e)
        {
            return new TestResult(test.Name, op, Outcome.Refused, OneLine(e), e.Code);
        }
        catch (Exception e)
        {
            return new TestResult(test.Name, op, Outcome.Crash, "planning: " + OneLine(e));
        }
    }

    /// <summary>Null when ONNX Runtime, given the converted model, reproduces every output_*.pb.</summary>
    private static string? CheckInOrt(NodeTestCase test, byte[] converted)
    {
        try
        {
            var outputs = OrtReference.Run(converted, test.Inputs[0]!);
            for (var i = 0; i < test.Outputs.Count; i++)
            {
                if (Tolerance.Compare(test.Outputs[i]!, outputs[i].Dims, outputs[i].ToDoubles()) is { } symptom)
                {
                    return $"ONNX Runtime output {i}: {symptom}";
                }
            }

            return null;
        }
        catch (Exception e)
        {
            return "ONNX Runtime: " + OneLine(e);
        }
    }

    private static TestResult Execute(ModelBuildRunner runner, Pending p)
    {
        var (test, op) = (p.Test, p.Operator);
        IReadOnlyList<(long[] Dims, float[] Data)> outputs;
        try
        {
            // A predictor that never returns must not hang the suite; its thread is abandoned (it cannot be aborted).
            var run = Task.Run(() => runner.Run(test.Name, test.Inputs[0]!));
            if (!run.Wait(RunTimeout))
            {
                return new TestResult(test.Name, op, Outcome.Crash, $"running: no result after {RunTimeout.TotalSeconds:0} s");
            }

            outputs = run.Result;
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            return new TestResult(test.Name, op, Outcome.Crash, "running: " + OneLine(e.InnerExceptions[0]));
        }

        if (outputs.Count != test.Outputs.Count)
        {
            return new TestResult(test.Name, op, Outcome.Wrong, $"{outputs.Count} outputs instead of {test.Outputs.Count}");
        }

        for (var i = 0; i < outputs.Count; i++)
        {
            if (Tolerance.Compare(test.Outputs[i]!, outputs[i].Dims, Array.ConvertAll(outputs[i].Data, v => (double)v)) is { } symptom)
            {
                return new TestResult(test.Name, op, Outcome.Wrong, $"output {i} '{test.Model.Graph.Output[i].Name}': {symptom}");
            }
        }

        return new TestResult(test.Name, op, Outcome.Passed);
    }

    private static ParallelOptions Parallelism() => new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    public static string OneLine(Exception e)
    {
        var text = (e is ModelBuildException ? "" : e.GetType().Name + ": ") + e.Message.ReplaceLineEndings(" ");
        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
