using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick split-one threads seconds [dense]</c>: one batch-1 layer in a loop for <c>seconds</c> (mnist_cnn_fc128's
/// 32 → 64 3×3 Winograd conv on 14×14, or with <c>dense</c> a 3136 → 128 int8 GEMV), with 1 or 2 intra-op threads, or
/// <c>3</c> = the 2-thread parts run one after another on the calling thread (their total work). Wall and calling-thread
/// CPU µs per call. For `perf record` and for telling a split's overhead (inline) from its hand-off and cache traffic
/// (2 threads); `quick split-layers` gives the interleaved figures.
/// </summary>
internal static class SplitOneQuick
{
    public static void Run(string[] args)
    {
        int threads = int.Parse(args[0]);
        double seconds = double.Parse(args[1]);
        bool dense = args.Length > 2 && args[2] == "dense";
        if (threads == 3)
        {
            IntraOp.RunPartsInline = true;
            threads = 2;
        }

        IntraOp.IgnoreSplitGate = true;
        var s = new Conv2DShape(32, 14, 14, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var rng = new Random(1);
        var w = RandomWeights.Int8(rng, s.OC, s.C * 9);
        float[] x = [.. Enumerable.Range(0, s.C * s.H * s.W).Select(_ => rng.NextSingle())];
        float[] y = new float[s.OC * s.OH * s.OW], scratch = new float[Kernels.Conv2DScratch(s)], bias = new float[s.OC];
        var dw = RandomWeights.Int8(rng, 128, 3136);
        float[] dx = [.. Enumerable.Range(0, 3136).Select(_ => rng.NextSingle())], dy = new float[128];

        var clock = Stopwatch.StartNew();
        long calls = 0, cpu0 = ThreadClock.Nanoseconds();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 100; i++)
            {
                if (dense)
                {
                    Kernels.Dense(dx, dw, default, dy, 1, Activation.Relu, threads);
                }
                else
                {
                    Kernels.Conv2D(x, w, bias, y, scratch, s, 1, Activation.Relu, threads);
                }
            }

            calls += 100;
        }

        Console.WriteLine($"{(dense ? "dense 3136→128" : "conv 32→64 14² 3×3")} threads {threads}{(IntraOp.RunPartsInline ? " (parts inline)" : "")}: " +
            $"wall {clock.Elapsed.TotalMilliseconds * 1e3 / calls:F1} µs/call, calling thread cpu {(ThreadClock.Nanoseconds() - cpu0) / 1e3 / calls:F1} µs/call");
    }
}
