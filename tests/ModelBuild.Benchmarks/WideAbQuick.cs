using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The wide MLP's variants interleaved in one process (`-- quick wide-ab v1,v2,… [batch] [rounds]`): every variant set up
/// first, then each round times a short burst of each in turn (thread CPU time per call). On this VM's slow phases only
/// ratios within a round are worth reading, so the medians of the per-round ratios to the first variant are printed.
/// A variant written <c>int8/no-vnni</c> runs with that <c>MB_EXP</c> experiment (PairQuick) applied around each of
/// its bursts, so one process compares a kernel switched on and off.
/// </summary>
internal static class WideAbQuick
{
    public static void Run(string[] variants, int batch, int rounds)
    {
        VnniSwitch.AfterMacs = 0; // steady state from the first timed call, as after a BenchmarkDotNet warm-up
        PairQuick.ApplyExperiment();
        string?[] experiments = [.. variants.Select(v => v.Contains('/') ? v[(v.IndexOf('/') + 1)..] : null)];
        var cases = variants.Select(v => new WideMlpBenchmarks { Batch = batch, Variant = v.Split('/')[0] }).ToArray();
        foreach (WideMlpBenchmarks c in cases)
        {
            c.Setup();
        }

        var times = new double[cases.Length][];
        for (int v = 0; v < cases.Length; v++)
        {
            times[v] = new double[rounds];
            Burst(cases[v], 300, experiments[v]);
        }

        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < cases.Length; v++)
            {
                times[v][round] = Burst(cases[v], batch == 1 ? 200 : 10, experiments[v]);
            }
        }

        for (int v = 0; v < cases.Length; v++)
        {
            double[] ratios = [.. Enumerable.Range(0, rounds).Select(r => times[v][r] / times[0][r]).Order()];
            double[] sorted = [.. times[v].Order()];
            Console.WriteLine(
                $"wide MLP batch {batch} {variants[v],-12} min {sorted[0],8:0.0} µs  median {sorted[rounds / 2],8:0.0} µs  " +
                $"/ {variants[0]}: median {ratios[rounds / 2]:F2} (quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2})");
            cases[v].Cleanup();
        }
    }

    /// <summary>Thread CPU µs per call over <paramref name="calls"/> calls.</summary>
    private static double Burst(WideMlpBenchmarks c, int calls, string? experiment)
    {
        if (experiment is not null)
        {
            PairQuick.ApplyExperiment(experiment);
        }

        long t0 = ThreadClock.Nanoseconds();
        for (int i = 0; i < calls; i++)
        {
            c.Run();
        }

        double micros = (ThreadClock.Nanoseconds() - t0) / 1e3 / calls;
        if (experiment is not null)
        {
            PairQuick.ApplyExperiment();
        }

        return micros;
    }
}
