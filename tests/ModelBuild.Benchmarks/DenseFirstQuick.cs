using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- quick dense-first n k rows`: a fresh process's first batched float32 Dense (n × k weights, `rows` input rows),
/// its minor page faults, a second call, and the first call on a second matrix (packing again, nothing else new). With
/// PACK_FIRST=1 it times the phases before the call apart: a pinned 18 MiB array, the first huge-page advice, the packed
/// weight arena's first chunk and the packing. Run it in a process of its own: what it measures happens once.
/// </summary>
internal static class DenseFirstQuick
{
    public static void Run(int n, int k, int rows)
    {
        var rng = new Random(5);
        float[] wf = new float[n * k];
        for (int i = 0; i < wf.Length; i++)
        {
            wf[i] = rng.NextSingle() - 0.5f;
        }

        float[] x = new float[rows * k];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextSingle();
        }

        var w = new WeightMatrix(n, k, WeightFormat.Float32, wf, [], [], []);
        var y = new float[rows * n];
        long faults0 = ColdStart.MinorFaults();
        var sw = Stopwatch.StartNew();
        string phases = "";
        if (Environment.GetEnvironmentVariable("PACK_FIRST") == "1")
        {
            var big = GC.AllocateArray<float>((9 << 20) / 2, pinned: true);
            double a = sw.Elapsed.TotalMilliseconds;
            _ = ModelBuild.Runtime.Execution.HugePages.Advise(big);
            double b = sw.Elapsed.TotalMilliseconds;
            _ = ModelBuild.Runtime.PackedWeightArena.Allocate(1 << 18);
            _ = ModelBuild.Runtime.PackedWeightArena.Allocate(16);
            double c = sw.Elapsed.TotalMilliseconds;
            long f = ColdStart.MinorFaults() - faults0;
            _ = w.PackedDense(16);
            double d = sw.Elapsed.TotalMilliseconds;
            phases = $"alloc {a:F2}, advise {b:F2}, chunk {c:F2} ({f} faults), packed {d:F2} ms ({ColdStart.MinorFaults() - faults0} faults); ";
        }

        Kernels.Dense(x, w, [], y, rows, Activation.None);
        double first = sw.Elapsed.TotalMilliseconds;
        long faults1 = ColdStart.MinorFaults();
        sw.Restart();
        Kernels.Dense(x, w, [], y, rows, Activation.None);
        double second = sw.Elapsed.TotalMilliseconds;
        var w2 = new WeightMatrix(n, k, WeightFormat.Float32, wf, [], [], []);
        sw.Restart();
        Kernels.Dense(x, w2, [], y, rows, Activation.None);
        double third = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine($"{phases}dense {n}x{k} rows {rows}: first {first:F2} ms ({faults1 - faults0} faults), second {second:F2} ms, new matrix first {third:F2} ms");
    }
}
