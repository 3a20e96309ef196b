using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick wide-layers variants [rounds]`: each of the wide MLP's two large layers (784 → 1024, 1024 → 1024) alone at
/// batch 1 through <c>Kernels.Dense</c>, for each listed weight variant, interleaved in one process: thread CPU µs
/// per call (median of the rounds) and the ratio to the first variant. Separates a layer's main loop from per-row and
/// tail overheads that the whole-model figure mixes together.
/// </summary>
internal static class WideLayerQuick
{
    public static void Run(string[] variants, int rounds)
    {
        var blobs = variants.Select(v => WeightBlob.Load(WideMlp.Blob(v))).ToArray();
        var rng = new Random(5);
        for (int layer = 0; layer < 2; layer++)
        {
            int k = WideMlp.Sizes[layer], n = WideMlp.Sizes[layer + 1];
            float[] x = [.. Enumerable.Range(0, k).Select(_ => (rng.NextSingle() * 2) - 1)];
            var y = new float[n];
            var weights = blobs.Select(b => b.DenseMatrix(2 * layer)).ToArray();
            var times = new double[variants.Length][];
            for (int v = 0; v < variants.Length; v++)
            {
                times[v] = new double[rounds];
                Burst(weights[v], x, y, 300);
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    times[v][round] = Burst(weights[v], x, y, 300);
                }
            }

            for (int v = 0; v < variants.Length; v++)
            {
                double[] ratios = [.. Enumerable.Range(0, rounds).Select(r => times[v][r] / times[0][r]).Order()];
                Console.WriteLine($"layer {k,4} → {n,4}  {variants[v],-10} median {times[v].Order().ElementAt(rounds / 2),7:F1} µs  / {variants[0]}: {ratios[rounds / 2]:F2} ({ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2})");
            }
        }
    }

    private static double Burst(WeightMatrix w, float[] x, float[] y, int calls)
    {
        long t0 = ThreadClock.Nanoseconds();
        for (int i = 0; i < calls; i++)
        {
            Kernels.Dense(x, w, default, y, 1, Activation.None);
        }

        return (ThreadClock.Nanoseconds() - t0) / 1e3 / calls;
    }
}
