using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Compression.Planning;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Per-op time of a built plan (`-- profile &lt;Class&gt; d0,d1,…`): runs the plan the build wrote under obj/ through
/// <see cref="PlanInterpreter"/> (the same op records the generated code constructs), timing every op (thread CPU time) over many
/// calls, and prints the totals per op kind and the slowest single ops. A Stopwatch tool for finding where the time
/// goes, not a benchmark: the per-op clock reads add a little to each op.
/// </summary>
internal static class OpProfiler
{
    public static void Run(string className, int[] shape)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "obj", "Release", "net10.0", "modelbuild", className);
        var program = PlanInterpreter.Load(File.ReadAllText(Path.Combine(dir, className + ".mbplan")),
            WeightBlob.Load(File.ReadAllBytes(Path.Combine(dir, className + ".weights.mbw"))));
        // PROFILE_THREADS=2: the ops' intra-op split (the calling thread's time then includes waiting for its helper).
        if (int.TryParse(Environment.GetEnvironmentVariable("PROFILE_THREADS"), out var threads))
        {
            program.IntraOpThreads = threads;
        }

        var context = new OpContext(program);
        var rng = new Random(7);
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (rng.NextSingle() * 2) - 1;
        }

        var ops = program.Ops;
        // PROFILE_CLOCK=wall: elapsed time instead of the calling thread's CPU time (with PROFILE_THREADS=2 the caller's
        // CPU time leaves out the time it waits for its helper, so only wall time shows what a split op costs).
        Func<long> clock = Environment.GetEnvironmentVariable("PROFILE_CLOCK") == "wall"
            ? () => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency))
            : ThreadClock.Nanoseconds;
        if (Environment.GetEnvironmentVariable("PROFILE_FIRST") == "1")
        {
            FirstCalls(program, context, input, shape);
            return;
        }

        // Each op's time is its fastest call of many: on a shared machine the minimum is the least disturbed figure.
        var ticks = new long[ops.Count];
        Array.Fill(ticks, long.MaxValue);
        // PROFILE_STAT=median: each op's median call instead (shows the ops whose time varies from call to call).
        bool median = Environment.GetEnvironmentVariable("PROFILE_STAT") == "median";
        var all = ops.Select(_ => new List<long>()).ToArray();
        var best = long.MaxValue;
        void Once(bool time)
        {
            context.SetInput<float>(program.Inputs[0], input, shape);
            var start = clock();
            for (var i = 0; i < ops.Count; i++)
            {
                var t0 = clock();
                ops[i].Execute(context);
                if (time)
                {
                    ticks[i] = Math.Min(ticks[i], clock() - t0);
                    all[i].Add(clock() - t0);
                }
            }

            best = Math.Min(best, clock() - start);
        }

        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 2000)
        {
            Once(false);
        }

        best = long.MaxValue;
        var calls = int.TryParse(Environment.GetEnvironmentVariable("PROFILE_CALLS"), out var n) ? n : 200;
        for (var i = 0; i < calls; i++)
        {
            Once(true);
        }

        if (median)
        {
            for (var i = 0; i < ops.Count; i++)
            {
                all[i].Sort();
                ticks[i] = all[i][all[i].Count / 2];
            }
        }

        double Us(long t) => t / 1e3;
        Console.WriteLine($"{className} {string.Join('x', shape)}: fastest call {Us(best) / 1000:F3} ms, sum of fastest ops {Us(ticks.Sum()) / 1000:F3} ms, {ops.Count} ops");
        foreach (var g in ops.Select((op, i) => (Kind: op.GetType().Name, T: ticks[i])).GroupBy(x => x.Kind).OrderByDescending(g => g.Sum(x => x.T)))
        {
            Console.WriteLine($"  {g.Key,-22} {g.Count(),4} ops {Us(g.Sum(x => x.T)),9:F1} us");
        }

        Console.WriteLine("  slowest ops:");
        foreach (var i in Enumerable.Range(0, ops.Count).OrderByDescending(i => ticks[i]).Take(int.TryParse(Environment.GetEnvironmentVariable("PROFILE_TOP"), out int top) ? top : 25))
        {
            Console.WriteLine($"  {Us(ticks[i]),8:F1} us  {Describe(ops[i], context)}");
        }
    }

    private static string Describe(Op op, OpContext c)
    {
        // The shapes of the operands named X/A/B and Y (the last call's), then the record's own text.
        var shapes = string.Join(" ", new[] { "X", "A", "B", "Y" }
            .Select(k => (k, v: op.GetType().GetProperty(k)?.GetValue(op)))
            .Where(p => p.v is int id && id >= 0)
            .Select(p => $"{p.k}=[{string.Join(',', c.Shape((int)p.v!).ToArray())}]"));
        var keys = string.Join(" ", op.GetType().GetProperties()
            .Where(p => p.Name is not ("Node" or "EqualityContract" or "X" or "A" or "B" or "Y"))
            .Select(p => p.GetValue(op) switch
            {
                int[] list => $"{p.Name}=[{string.Join(',', list)}]",
                var v => $"{p.Name}={v}",
            }));
        return $"{op.GetType().Name.Replace("Op", "", StringComparison.Ordinal)} {shapes} {keys}";
    }

    /// <summary>
    /// ONNX Runtime's own per-node times for the same model and input (`-- profile-ort &lt;file.onnx&gt; d0,d1,…`, one
    /// intra-op thread, session profiling): the median per node over the calls, summed per op type.
    /// </summary>
    public static void RunOrt(string onnxPath, int[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "mb-ort-profile");
        using var session = new InferenceSession(onnxPath, options);
        var rng = new Random(7);
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (rng.NextSingle() * 2) - 1;
        }

        using var value = OrtValue.CreateTensorValueFromMemory(input, [.. shape.Select(d => (long)d)]);
        var calls = int.TryParse(Environment.GetEnvironmentVariable("PROFILE_CALLS"), out var n) ? n : 100;
        using var runOptions = new RunOptions();
        for (var i = 0; i < calls; i++)
        {
            using var outputs = session.Run(runOptions, [.. session.InputNames], [value], [.. session.OutputNames]);
        }

        var file = session.EndProfiling();
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var nodes = json.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .Select(e => (Name: e.GetProperty("name").GetString()!, Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Us: e.GetProperty("dur").GetDouble()))
            .GroupBy(e => (e.Name, e.Op))
            .Select(g => (g.Key.Name, g.Key.Op, Us: g.Select(e => e.Us).Order().ElementAt(g.Count() / 2)))
            .ToList();
        File.Delete(file);
        Console.WriteLine($"ONNX Runtime {Path.GetFileName(onnxPath)} {string.Join('x', shape)}: sum of median node times {nodes.Sum(x => x.Us) / 1000:F3} ms, {nodes.Count} nodes");
        foreach (var g in nodes.GroupBy(x => x.Op).OrderByDescending(g => g.Sum(x => x.Us)))
        {
            Console.WriteLine($"  {g.Key,-22} {g.Count(),4} ops {g.Sum(x => x.Us),9:F1} us");
        }

        Console.WriteLine("  slowest nodes:");
        foreach (var x in nodes.OrderByDescending(x => x.Us).Take(25))
        {
            Console.WriteLine($"  {x.Us,8:F1} us  {x.Op} {x.Name}");
        }
    }

    /// <summary>
    /// PROFILE_FIRST=1: each op's first call in this fresh process (JIT or ReadyToRun code, per-process weight packing,
    /// fresh activation pages) next to its second call, the slowest first calls first: where a cold start goes.
    /// </summary>
    private static void FirstCalls(ModelProgram program, OpContext context, float[] input, int[] shape)
    {
        var ops = program.Ops;
        var first = new long[ops.Count];
        var second = new long[ops.Count];
        var faults = new long[ops.Count]; // minor page faults of each op's first call (process-wide, /proc/self/stat)
        foreach (long[] times in new[] { first, second })
        {
            context.SetInput<float>(program.Inputs[0], input, shape);
            for (var i = 0; i < ops.Count; i++)
            {
                long pf0 = times == first ? ColdStart.MinorFaults() : 0;
                var t0 = Stopwatch.GetTimestamp();
                ops[i].Execute(context);
                times[i] = Stopwatch.GetTimestamp() - t0;
                faults[i] += times == first ? ColdStart.MinorFaults() - pf0 : 0;
            }
        }

        // A fresh context's first call: weights already packed and code compiled, only its own buffers are new.
        var fresh = new OpContext(program);
        fresh.SetInput<float>(program.Inputs[0], input, shape);
        long freshFaults = ColdStart.MinorFaults();
        long f0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < ops.Count; i++)
        {
            ops[i].Execute(fresh);
        }

        long freshTicks = Stopwatch.GetTimestamp() - f0;
        freshFaults = ColdStart.MinorFaults() - freshFaults;
        double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine($"first call {Ms(first.Sum()):F1} ms, second {Ms(second.Sum()):F1} ms, first call of a second context {Ms(freshTicks):F1} ms (wall, {ops.Count} ops); page faults: first call {faults.Sum()}, the second context's {freshFaults}");
        foreach (var g in Enumerable.Range(0, ops.Count).GroupBy(i => ops[i].GetType().Name).OrderByDescending(g => g.Sum(i => first[i])))
        {
            Console.WriteLine($"  {g.Key,-22} {g.Count(),4} ops  first {Ms(g.Sum(i => first[i])),8:F2} ms  second {Ms(g.Sum(i => second[i])),8:F2} ms  faults {g.Sum(i => faults[i]),6}");
        }

        foreach (var i in Enumerable.Range(0, ops.Count).OrderByDescending(i => first[i] - second[i]).Take(15))
        {
            Console.WriteLine($"    {Ms(first[i]),8:F2} ms (second {Ms(second[i]):F2}, {faults[i]} faults)  {Describe(ops[i], context)}");
        }
    }
}
