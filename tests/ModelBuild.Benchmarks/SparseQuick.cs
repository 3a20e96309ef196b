using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick sparse rows n k density pattern</c>: one Dense GEMM (float32 weights, bias, ReLU) on an input with the
/// given share of nonzeros, the sparse-row kernel against the register tiles, thread CPU µs per call and ns per
/// nonzero value × 64 channels. pattern "random": each row its own nonzero columns; "same": every row the same ones.
/// <c>quick sparse rows n k density pattern threads</c> (threads ≥ 2): the parallel call split by panels (the tiles
/// where a part has under 64 channels) against split by row blocks through the sparse-row kernel
/// (<see cref="DenseGemm.SparseRowSplit"/>), interleaved, wall µs per call (median of rounds).
/// </summary>
internal static class SparseQuick
{
    public static void Run(int rows, int n, int k, double density, string pattern, int threads = 1)
    {
        var rng = new Random(3);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.Length; i++)
        {
            wf[i] = (rng.NextSingle() - 0.5f) * 0.1f;
        }

        var w = new WeightMatrix(n, k, WeightFormat.Float32, wf, [], [], []);
        float[] bias = new float[n];
        float[] x = new float[rows * k];
        bool[] keepColumn = [.. Enumerable.Range(0, k).Select(_ => rng.NextDouble() < density)];
        for (int i = 0; i < x.Length; i++)
        {
            bool keep = pattern == "same" ? keepColumn[i % k] : rng.NextDouble() < density;
            x[i] = keep ? rng.NextSingle() + 0.1f : 0;
        }

        var y = new float[rows * n];
        long nonzeros = x.Count(v => v != 0);
        if (threads > 1)
        {
            Threads(x, w, bias, y, rows, threads, $"rows {rows} n {n} k {k} density {nonzeros / (double)x.Length:F2} {pattern}");
            return;
        }

        foreach (bool sparse in new[] { false, true, false, true })
        {
            DenseGemm.SparseEnabled = sparse;
            for (int i = 0; i < 200; i++)
            {
                Kernels.Dense(Simd.Best, x, w, bias, y, rows, Activation.Relu);
            }

            int calls = 2000;
            long t0 = ThreadClock.Nanoseconds();
            for (int i = 0; i < calls; i++)
            {
                Kernels.Dense(Simd.Best, x, w, bias, y, rows, Activation.Relu);
            }

            double us = (ThreadClock.Nanoseconds() - t0) / 1e3 / calls;
            Console.WriteLine($"{(sparse ? "sparse" : "tiles "),-7} rows {rows} n {n} k {k} density {nonzeros / (double)x.Length:F2} {pattern}: {us,8:F1} µs, "
                + $"{us * 1e3 / (nonzeros * (n / 64.0)):F2} ns per value × 64 channels");
        }

        DenseGemm.SparseEnabled = true;
    }

    private static void Threads(float[] x, WeightMatrix w, float[] bias, float[] y, int rows, int threads, string label)
    {
        var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int round = 0; round < 30; round++)
        {
            foreach (bool byRows in new[] { false, true })
            {
                DenseGemm.SparseRowSplit = byRows;
                for (int i = 0; i < 20; i++)
                {
                    Kernels.Dense(Simd.Best, x, w, bias, y, rows, Activation.Relu, threads);
                }

                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 200; i++)
                {
                    Kernels.Dense(Simd.Best, x, w, bias, y, rows, Activation.Relu, threads);
                }

                times[byRows].Add(sw.Elapsed.TotalMilliseconds * 1e3 / 200);
            }
        }

        DenseGemm.SparseRowSplit = true;
        double panels = times[false].Order().ElementAt(15), byRow = times[true].Order().ElementAt(15);
        Console.WriteLine($"{label}, {threads} threads: split by panels {panels:F1} µs, by rows {byRow:F1} µs, rows/panels {byRow / panels:F2}");
    }
}
