using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick conv-threads [batch] [rounds]</c>: SqueezeNet's convolutions over a batch on 1 and 2 threads
/// (<see cref="ConvParallel"/>), interleaved in one process; best of the rounds, wall time, and the 1T / 2T speed-up.
/// </summary>
internal static class ConvThreadsQuick
{
    public static void Run(int batch, int rounds)
    {
        var shapes = new (string, Conv2DShape)[]
        {
            ("stem 3>64 3x3/2 32x32", new Conv2DShape(3, 32, 32, 64, 15, 15, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1)),
            ("fire2e3 16>64 3x3 7x7", new Conv2DShape(16, 7, 7, 64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("fire4e3 32>128 3x3 7x7", new Conv2DShape(32, 7, 7, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            ("fire2e1 16>64 1x1 7x7", new Conv2DShape(16, 7, 7, 64, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("fire4s1 128>32 1x1 7x7", new Conv2DShape(128, 7, 7, 32, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
        };
        // MB_WINO_CHUNK=floats[,floats…]: BlockedWinograd's chunk targets (V and M of one chunk), interleaved per round.
        int[] chunks = Environment.GetEnvironmentVariable("MB_WINO_CHUNK") is { } list ? [.. list.Split(',').Select(int.Parse)] : [BlockedWinograd.ChunkFloats];

        var rng = new Random(1);
        foreach (var (name, s) in shapes)
        {
            var w = RandomWeights.Int8(rng, s.OC, s.C / s.Group * s.KH * s.KW);
            float[] x = [.. Enumerable.Range(0, batch * s.C * s.H * s.W).Select(_ => rng.NextSingle())];
            float[] y = new float[batch * s.OC * s.OH * s.OW], scratch = new float[Math.Max(1, Kernels.Conv2DScratch(s))], bias = new float[s.OC];
            var best = new double[chunks.Length, 2];
            for (int c = 0; c < chunks.Length; c++) { best[c, 0] = best[c, 1] = double.MaxValue; }
            int calls = Math.Max(10, 400 / batch);
            for (int r = 0; r < rounds; r++)
            {
                for (int c = 0; c < chunks.Length; c++)
                {
                    BlockedWinograd.ChunkFloats = chunks[c];
                    for (int t = 1; t <= 2; t++)
                    {
                        Kernels.Conv2D(x, w, bias, y, scratch, s, batch, Activation.Relu, t);
                        long t0 = Stopwatch.GetTimestamp();
                        for (int i = 0; i < calls; i++) Kernels.Conv2D(x, w, bias, y, scratch, s, batch, Activation.Relu, t);
                        best[c, t - 1] = Math.Min(best[c, t - 1], Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls);
                    }
                }
            }

            // Two plain threads, each running half the batch with one thread (own scratch): what two cores give with no
            // hand-off at all, so a 2T time above it is IntraOp's cost and one near it is the cores' shared resources.
            int half = batch / 2;
            long inPer = (long)s.C * s.H * s.W, outPer = (long)s.OC * s.OH * s.OW;
            float[] scratch2 = new float[scratch.Length];
            double pair = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var other = new Thread(() =>
                {
                    for (int i = 0; i < calls; i++) Kernels.Conv2D(x.AsSpan((int)(half * inPer)), w, bias, y.AsSpan((int)(half * outPer)), scratch2, s, batch - half, Activation.Relu, 1);
                });
                other.Start();
                for (int i = 0; i < calls; i++) Kernels.Conv2D(x.AsSpan(0, (int)(half * inPer)), w, bias, y.AsSpan(0, (int)(half * outPer)), scratch, s, half, Activation.Relu, 1);
                other.Join();
                pair = Math.Min(pair, Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls);
            }

            Console.WriteLine($"{name,-24} b{batch}: two plain threads on half the batch each {pair,8:F1} µs");
            for (int c = 0; c < chunks.Length; c++)
            {
                Console.WriteLine($"{name,-24} b{batch} chunk {chunks[c],7}: 1T {best[c, 0],8:F1} µs, 2T {best[c, 1],8:F1} µs, speed-up {best[c, 0] / best[c, 1]:F2}");
            }
        }
    }
}
