using ModelBuild.Compression.Storage;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick big-layer n k variants [rounds]`: one n × k Dense layer (random weights) at batch 1 through
/// <c>Kernels.Dense</c> in each listed storage variant (<see cref="WideMlp.Store"/>'s names), interleaved in one process:
/// thread CPU µs per call (median of the rounds) and the ratio to the first variant. For layers too large for the
/// caches, where a batch-1 GEMV streams its weights from memory and fewer bits should mean less time.
/// </summary>
internal static class BigLayerQuick
{
    public static void Run(int n, int k, string[] variants, int rounds, int batch = 1)
    {
        VnniSwitch.AfterMacs = 0; // steady state from the first timed call, as after a BenchmarkDotNet warm-up
        PairQuick.ApplyExperiment(); // MB_EXP=float-int4: the float kernels for 4-bit codes and palettes
        var rng = new Random(11);
        float[] w = new float[(long)n * k > int.MaxValue ? throw new ArgumentException("n·k too large") : n * k];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (rng.NextSingle() + rng.NextSingle() + rng.NextSingle() - 1.5f) * 0.1f;
        }

        var matrices = variants.Select(v =>
        {
            var writer = new WeightBlobWriter();
            writer.AddStored("w", WideMlp.Store(v.Split('@')[0], w, n, k), [n, k]);
            return WeightBlob.Load(writer.ToArray()).DenseMatrix(0);
        }).ToArray();
        float[] x = [.. Enumerable.Range(0, batch * k).Select(_ => (rng.NextSingle() * 2) - 1)];
        var y = new float[batch * n];
        int calls = Math.Max(3, (int)(200_000_000L / ((long)n * k * batch)));
        // "variant@nopf": with the batch-1 kernels' software prefetch off (RowPrefetch.MinBytes), "@pf": on for any size;
        // "@novnni": the integer kernels' AVX2 forms (VnniSwitch).
        long[] minBytes = [.. variants.Select(v => v.EndsWith("@nopf", StringComparison.Ordinal) ? long.MaxValue : v.EndsWith("@pf", StringComparison.Ordinal) ? 0 : RowPrefetch.MinBytes)];
        bool[] vnni = [.. variants.Select(v => !v.EndsWith("@novnni", StringComparison.Ordinal))];
        var times = new double[variants.Length][];
        for (int v = 0; v < variants.Length; v++)
        {
            times[v] = new double[rounds];

            // Past tiering: half a second of calls per variant before the timed rounds.
            RowPrefetch.MinBytes = minBytes[v];
            VnniSwitch.Allowed = vnni[v];
            for (long end = Environment.TickCount64 + 500; Environment.TickCount64 < end;)
            {
                Burst(matrices[v], x, y, calls, batch);
            }
        }

        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                RowPrefetch.MinBytes = minBytes[v];
                VnniSwitch.Allowed = vnni[v];
                times[v][round] = Burst(matrices[v], x, y, calls, batch);
            }
        }

        for (int v = 0; v < variants.Length; v++)
        {
            double[] ratios = [.. Enumerable.Range(0, rounds).Select(r => times[v][r] / times[0][r]).Order()];
            Console.WriteLine($"{n} × {k} batch {batch}  {variants[v],-10} median {times[v].Order().ElementAt(rounds / 2),9:F1} µs  / {variants[0]}: {ratios[rounds / 2]:F2} ({ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2})");
        }
    }

    private static double Burst(WeightMatrix w, float[] x, float[] y, int calls, int batch = 1)
    {
        long t0 = ThreadClock.Nanoseconds();
        for (int i = 0; i < calls; i++)
        {
            Kernels.Dense(x, w, default, y, batch, Activation.None);
        }

        return (ThreadClock.Nanoseconds() - t0) / 1e3 / calls;
    }
}
