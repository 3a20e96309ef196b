using System.Diagnostics;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick first-seconds model batch [seconds]</c>: a fresh process's generated predictor over its first seconds
/// (default 3), one line per 250 ms: calls and the median µs per call of that window. Shows how long the runtime's
/// tiering keeps slower code in a process (dynamic PGO's instrumented tier, IMPLEMENTATION.md "Dynamic PGO"): compare
/// against a run with <c>DOTNET_TieredPGO=0</c>. The shared models take batch 1 or 64 (PredictorBenchmarks' setup, the
/// ORT session disposed before timing); the real models (REALMODELS builds) batch 1.
/// </summary>
internal static class FirstSecondsQuick
{
    public static void Run(string model, int batch, double seconds)
    {
        (Action call, Action cleanup) = Setup(model, batch);
        var all = Stopwatch.StartNew();
        var window = new List<double>();
        double next = 0.25;
        Console.WriteLine($"{model} b{batch}: µs per call, median per 250 ms window (TieredPGO={Environment.GetEnvironmentVariable("DOTNET_TieredPGO") ?? "default"})");
        while (all.Elapsed.TotalSeconds < seconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            call();
            window.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
            if (all.Elapsed.TotalSeconds >= next)
            {
                window.Sort();
                Console.WriteLine($"  {next,5:F2} s  {window.Count,6} calls  {window[window.Count / 2],10:F1} µs");
                window.Clear();
                next += 0.25;
            }
        }

        cleanup();
    }

    private static (Action Call, Action Cleanup) Setup(string model, int batch)
    {
#if REALMODELS
        if (!model.StartsWith("mnist", StringComparison.Ordinal) && model != "squeezenet_cifar10")
        {
            var real = new RealModelBenchmarks { Model = model };
            real.Setup();
            return (real.Generated, () => { });
        }
#endif
        var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
        b.Setup();
        b.Cleanup(); // the ORT session gone: only the generated predictor runs in the timed part
        return (b.Generated, () => { });
    }
}
