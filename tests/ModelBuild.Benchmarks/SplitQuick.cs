using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick split-layers [rounds]</c>: the shared models' batch-1 layers with 1 thread and split over 2 (int8 weights),
/// interleaved rounds of ~0.5 ms, the calling thread's CPU time (on a saturated machine wall time mostly shows the helper
/// waiting for a core): the best and the 20th-percentile round per variant. With 2 threads the calling thread's time is
/// its parts, the hand-off and any wait for the helper (it spins), so best 2T / best 1T is the split's latency gain
/// when the helper has a core. "parts inline" runs the same parts in order on the calling thread: their total against one
/// thread is the split's overhead (work each part repeats, smaller GEMMs), so a quiet machine's 2T time is about half
/// of it plus the shared serial work and the hand-off.
/// </summary>
internal static class SplitQuick
{
    private static Conv2DShape Conv(int c, int h, int oc, int k, int stride, int pad)
    {
        int o = ((h + (2 * pad) - k) / stride) + 1;
        return new Conv2DShape(c, h, h, oc, o, o, k, k, stride, stride, 1, 1, pad, pad, pad, pad, 1);
    }

    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 200;
        PairQuick.ApplyExperiment(); // MB_EXP=split-small-im2col: the convs under the im2col minimum split too
        IntraOp.IgnoreSplitGate = true; // every call splits, also while the helper gets no core (this measures the split itself)
        foreach (int us in new[] { 5, 20, 100 })
        {
            HandOff(rounds, us);
        }
        (string Name, Conv2DShape S)[] convs =
        [
            ("cnn conv1 1→32 28² 3×3", Conv(1, 28, 32, 3, 1, 1)),
            ("cnn conv2 32→64 14² (Winograd)", Conv(32, 14, 64, 3, 1, 1)),
            ("mnist-8 conv1 1→8 28² 5×5", Conv(1, 28, 8, 5, 1, 2)),
            ("mnist-8 conv2 8→16 14² 5×5", Conv(8, 14, 16, 5, 1, 2)),
            ("squeeze conv1 3→64 32² 3×3/2", Conv(3, 32, 64, 3, 2, 0)),
            ("squeeze 3×3 32→128 7² (Winograd)", Conv(32, 7, 128, 3, 1, 1)),
            ("squeeze 3×3 16→64 7² (Winograd)", Conv(16, 7, 64, 3, 1, 1)),
            ("squeeze 1×1 32→128 7²", Conv(32, 7, 128, 1, 1, 0)),
            ("squeeze 1×1 128→32 7²", Conv(128, 7, 32, 1, 1, 0)),
            ("squeeze 1×1 16→64 7²", Conv(16, 7, 64, 1, 1, 0)),
            ("squeeze 1×1 256→10 7²", Conv(256, 7, 10, 1, 1, 0)),
        ];
        var rng = new Random(1);
        foreach (var (name, s) in convs)
        {
            var w = RandomWeights.Int8(rng, s.OC, s.C * s.KH * s.KW);
            float[] x = Floats(rng, s.C * s.H * s.W), bias = Floats(rng, s.OC), y = new float[s.OC * s.OH * s.OW];
            float[] scratch = new float[Kernels.Conv2DScratch(s)];
            double flops = 2.0 * s.OC * s.OH * s.OW * s.C * s.KH * s.KW;
            bool whole = ConvImageParallel.Im2ColMinimum && ConvImageParallel.Im2ColTooSmallToSplit(s);
            Time(name, flops, rounds, t => Kernels.Conv2D(x, w, bias, y, scratch, s, 1, Activation.Relu, t), whole);
        }

        foreach (var (n, k) in new[] { (128, 3136), (256, 784), (128, 256) })
        {
            var w = RandomWeights.Int8(rng, n, k);
            float[] x = Floats(rng, k), bias = Floats(rng, n), y = new float[n];
            Time($"dense {k}→{n}", 2.0 * n * k, rounds, t => Kernels.Dense(x, w, bias, y, 1, Activation.Relu, t));
        }
    }

    /// <summary>
    /// The cost of a region by itself: 2 parts that each busy-wait 5, 20 or 100 µs, 2 threads, back to back (the helper spinning), wall
    /// µs per region above one part's time (best and 20th-percentile round of 200 regions: the hand-off when the helper takes a
    /// part), and how many parts the helper ran.
    /// </summary>
    private static void HandOff(int rounds, int partMicroseconds)
    {
        var work = new Empty(partMicroseconds);
        var times = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            long a = Stopwatch.GetTimestamp();
            for (int i = 0; i < 50; i++)
            {
                IntraOp.Run(work, 2, 2);
            }

            times.Add((Stopwatch.GetTimestamp() - a) * 1e6 / Stopwatch.Frequency / 50);
        }

        times.Sort();
        Console.WriteLine($"hand-off: 2 parts of {partMicroseconds} µs, wall − {partMicroseconds} µs best {times[0] - partMicroseconds:F2} µs, p20 {times[rounds / 5] - partMicroseconds:F2} µs; helper ran {100.0 * work.Helper / work.All:F0} % of the parts");
    }

    private sealed class Empty : IntraOp.IWork
    {
        private readonly int _owner = Environment.CurrentManagedThreadId;
        private readonly int _us;

        public Empty(int us) => _us = us;

        public long All { get; private set; }

        public long Helper { get; private set; }

        public void Run(int part, int parts)
        {
            long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * _us / 1_000_000);
            while (Stopwatch.GetTimestamp() < until)
            {
            }

            All++;
            if (Environment.CurrentManagedThreadId != _owner)
            {
                Helper++;
            }
        }
    }

    // whole: the kernel keeps this call on one thread whatever SplitParts says (a conv under the im2col minimum).
    private static void Time(string name, double flops, int rounds, Action<int> call, bool whole = false)
    {
        long t0 = Stopwatch.GetTimestamp();
        int per = 0;
        while (Stopwatch.GetTimestamp() - t0 < Stopwatch.Frequency / 20)
        {
            call(1);
            call(2);
            per++;
        }

        per = Math.Max(2, per / 50); // ~0.5 ms per variant and round
        var one = new List<double>();
        var two = new List<double>();
        var inline = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (int t in new[] { 1, 2, 3 })
            {
                IntraOp.RunPartsInline = t == 3;
                call(Math.Min(t, 2));
                long a = ThreadClock.Nanoseconds();
                for (int i = 0; i < per; i++)
                {
                    call(Math.Min(t, 2));
                }

                IntraOp.RunPartsInline = false;
                double us = (ThreadClock.Nanoseconds() - a) / 1e3 / per;
                (t == 1 ? one : t == 2 ? two : inline).Add(us);
            }
        }

        one.Sort();
        two.Sort();
        inline.Sort();
        double p1 = one[rounds / 5], p2 = two[rounds / 5];
        int parts = whole ? 1 : IntraOp.SplitParts(2, flops, int.MaxValue);
        Console.WriteLine($"{name,-36} {flops / 1e3,7:F0} kFLOP parts {parts}  1T best {one[0],7:F1} p20 {p1,7:F1}  2T best {two[0],7:F1} p20 {p2,7:F1}  2T/1T best {two[0] / one[0]:F2} p20 {p2 / p1:F2}  parts inline / 1T {inline[0] / one[0]:F2}");
    }

    private static float[] Floats(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return a;
    }
}
