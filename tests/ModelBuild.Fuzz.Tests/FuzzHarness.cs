using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;
using ModelBuild.Onnx;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// Runs mutated models through what a build does to them (read → IR → simplify → shape inference → export, and on a
/// subset the whole default int8 pipeline) and sorts every outcome: success, a ModelBuildException with an MB code
/// (the contract), anything else (a fault, grouped by kind), or no answer within the time limit (a hang).
/// </summary>
internal sealed partial class FuzzHarness(IReadOnlyList<Seed> seeds, int baseSeed, TimeSpan timeout, string workDir)
{
    private const int PipelineEvery = 4;
    private const int MaxPipelineSeedBytes = 64 * 1024;

    /// <summary>Called every 5,000 cases with the counts so far (a long run shows where it is).</summary>
    public Action<FuzzResult>? Progress { get; init; }

    public FuzzResult Run(int iterations, int firstCase = 0)
    {
        var result = new FuzzResult();
        var watch = Stopwatch.StartNew();
        for (var i = firstCase; i < firstCase + iterations; i++)
        {
            var (seed, bytes, log) = Case(i);
            var pipeline = i % PipelineEvery == 0 && seed.Bytes.Length <= MaxPipelineSeedBytes;
            var task = Task.Factory.StartNew(() => RunOne(i, bytes, pipeline), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (!task.Wait(timeout))
            {
                result.Hangs.Add($"case {i} ({seed.Name}: {string.Join("; ", log)}) ran longer than {timeout.TotalSeconds:0} s");
                if (result.Hangs.Count >= 3)
                {
                    break; // the hung threads keep their cores busy; later timings would mean nothing
                }

                continue;
            }

            result.Record(task.Result, i, seed.Name, log);
            if (result.Total % 5000 == 0)
            {
                result.Elapsed = watch.Elapsed;
                Progress?.Invoke(result);
            }
        }

        result.Elapsed = watch.Elapsed;
        return result;
    }

    /// <summary>The mutated bytes of case <paramref name="index"/> (deterministic: reproduce a failure from its number).</summary>
    public (Seed Seed, byte[] Bytes, IReadOnlyList<string> Log) Case(int index)
    {
        var random = new Random(unchecked((baseSeed * 1_000_003) + index));
        var seed = PickSeed(random);
        var mutator = new Mutator(random);
        return (seed, mutator.Mutate(seed.Bytes), mutator.Log);
    }

    private Seed PickSeed(Random random)
    {
        // Small seeds reach more code per second; the large real models still get one case in ten.
        var small = seeds.Where(s => s.Bytes.Length <= MaxPipelineSeedBytes).ToList();
        return random.Next(10) == 0 || small.Count == 0 ? seeds[random.Next(seeds.Count)] : small[random.Next(small.Count)];
    }

    private Outcome RunOne(int index, byte[] bytes, bool pipeline)
    {
        try
        {
            var model = OnnxReader.Read(bytes, baseDirectory: null, fileNameForMessages: "fuzz.onnx");
            var graph = OnnxImporter.Import(model, null, "fuzz.onnx");
            GraphOptimizer.Simplify(graph);
            ShapeInference.Run(graph);
            var exported = OnnxExporter.ToBytes(graph);
            try
            {
                OnnxReader.Read(exported, null, fileNameForMessages: "exported.onnx");
            }
            catch (ModelBuildException e)
            {
                // What we write must be readable by ourselves; a refusal here is a fault even though it has a code.
                return Outcome.Fault($"export not readable ({e.Code})", e);
            }

            if (pipeline)
            {
                RunPipeline(index, bytes);
            }

            return Outcome.Success;
        }
        catch (ModelBuildException e)
        {
            return ValidCode().IsMatch(e.Code) && e.Message.Length > 0 && !e.Message.Contains("   at ", StringComparison.Ordinal)
                ? Outcome.Error(e.Code, e.Message)
                : Outcome.Fault($"malformed ModelBuildException '{e.Code}'", e);
        }
        catch (Exception e)
        {
            return Outcome.Fault(Kind(e), e);
        }
    }

    private void RunPipeline(int index, byte[] bytes)
    {
        var dir = Path.Combine(workDir, index.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "fuzz.onnx");
            File.WriteAllBytes(path, bytes);
            CompressionPipeline.Run(new CompressionRequest(path, "", "FuzzModel", "Fuzz", Path.Combine(dir, "out"), "Fuzz.FuzzModel.weights.mbw"), ModelBuild.Evaluation.Services.EvaluationServices.Create());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A fault's kind: the exception type and the first ModelBuild frame (the same bug from many mutations is one kind).</summary>
    private static string Kind(Exception e)
    {
        var frame = new StackTrace(e).GetFrames().Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("ModelBuild", StringComparison.Ordinal) == true);
        return $"{e.GetType().Name} in {frame?.DeclaringType?.Name}.{frame?.Name}";
    }

    [GeneratedRegex("^MB[0-9]{4}$")]
    private static partial Regex ValidCode();
}

internal sealed record Outcome(string? Code, string? FaultKind, Exception? Exception, string? Message = null)
{
    public static Outcome Success { get; } = new(null, null, null);

    public static Outcome Error(string code, string message) => new(code, null, null, message);

    public static Outcome Fault(string kind, Exception e) => new(null, kind, e);
}

internal sealed class FuzzResult
{
    /// <summary>
    /// Faults in code another change is rewriting (the planner), reported but not failed on, each with the reason.
    /// Any other kind, including a new kind in the planner, fails the run.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnownFaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
    };

    public int Total { get; private set; }

    public int Successes { get; private set; }

    public SortedDictionary<string, int> ErrorsByCode { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// MB5004 says the build's own plan differs from ONNX Runtime ("a ModelBuild bug"): a contract-conforming
    /// outcome, but each one is a lead, so the first few are kept with their case numbers for the summary.
    /// </summary>
    public List<string> PlanDivergences { get; } = [];

    /// <summary>Non-ModelBuild failures by kind: count and the first case that showed it.</summary>
    public SortedDictionary<string, (int Count, string Example)> Faults { get; } = new(StringComparer.Ordinal);

    public List<string> Hangs { get; } = [];

    public TimeSpan Elapsed { get; set; }

    public int FaultCount => Faults.Where(f => !KnownFaults.ContainsKey(f.Key)).Sum(f => f.Value.Count);

    public int KnownFaultCount => Faults.Where(f => KnownFaults.ContainsKey(f.Key)).Sum(f => f.Value.Count);

    public void Record(Outcome outcome, int index, string seed, IReadOnlyList<string> log)
    {
        Total++;
        if (outcome.FaultKind is { } kind)
        {
            var example = $"case {index} ({seed}: {string.Join("; ", log)}): {outcome.Exception!.GetType().Name}: {outcome.Exception.Message}\n{outcome.Exception.StackTrace}";
            Faults[kind] = Faults.TryGetValue(kind, out var seen) ? (seen.Count + 1, seen.Example) : (1, example);
        }
        else if (outcome.Code is { } code)
        {
            ErrorsByCode[code] = ErrorsByCode.GetValueOrDefault(code) + 1;
            if (code == "MB5004" && PlanDivergences.Count < 10)
            {
                PlanDivergences.Add($"case {index} ({seed}: {string.Join("; ", log)}): {outcome.Message}");
            }
        }
        else
        {
            Successes++;
        }
    }

    public string Summary()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"total {Total + Hangs.Count}, successes {Successes}, MB errors {ErrorsByCode.Values.Sum()}, ")
            .Append(CultureInfo.InvariantCulture, $"non-ModelBuild exceptions {FaultCount} (+ {KnownFaultCount} known, in code being rewritten), hangs {Hangs.Count}, {Elapsed.TotalSeconds:0.0} s\n");
        foreach (var (code, count) in ErrorsByCode)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {code}: {count}\n");
        }

        foreach (var (kind, (count, example)) in Faults)
        {
            var label = KnownFaults.TryGetValue(kind, out var reason) ? $"KNOWN ({reason})" : "FAULT";
            text.Append(CultureInfo.InvariantCulture, $"{label} {kind}: {count}\n  first: {example}\n");
        }

        foreach (var divergence in PlanDivergences)
        {
            text.Append("MB5004 ").Append(divergence).Append('\n');
        }

        foreach (var hang in Hangs)
        {
            text.Append("HANG ").Append(hang).Append('\n');
        }

        return text.ToString();
    }
}
