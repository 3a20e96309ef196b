using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick tail batch</c>: SqueezeNet's 1×1 convs on 7×7 (49 = 2 × 24 + 1 pixels) with <see cref="ConvGemm.PixelTails"/>
/// on and off, interleaved in one process; best of 15 rounds, thread CPU time.
/// </summary>
internal static class TailQuick
{
    public static void Run(int batch)
    {
        var shapes = new (string, Conv2DShape)[]
        {
            ("sq-fire2e1 16>64 7x7", new Conv2DShape(16, 7, 7, 64, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("sq-fire4e1 32>128 7x7", new Conv2DShape(32, 7, 7, 128, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("sq-fire4s1 128>32 7x7", new Conv2DShape(128, 7, 7, 32, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
            ("sq-conv10 256>10 7x7", new Conv2DShape(256, 7, 7, 10, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1)),
        };
        var rng = new Random(1);
        foreach (var (name, s) in shapes)
        {
            var w = RandomWeights.Int8(rng, s.OC, s.C);
            float[] x = [.. Enumerable.Range(0, batch * s.C * s.H * s.W).Select(_ => rng.NextSingle())];
            float[] y = new float[batch * s.OC * s.OH * s.OW], scratch = new float[Math.Max(1, Kernels.Conv2DScratch(s))], bias = new float[s.OC];
            double on = double.MaxValue, off = double.MaxValue;
            int calls = Math.Max(20, 2000 / batch);
            for (int r = 0; r < 15; r++)
            {
                foreach (bool tail in new[] { false, true })
                {
                    ConvGemm.PixelTails = tail;
                    Kernels.Conv2D(x, w, bias, y, scratch, s, batch, Activation.Relu);
                    long t0 = ThreadClock.Nanoseconds();
                    for (int i = 0; i < calls; i++) Kernels.Conv2D(x, w, bias, y, scratch, s, batch, Activation.Relu);
                    double t = (ThreadClock.Nanoseconds() - t0) / 1e3 / calls;
                    if (tail) on = Math.Min(on, t); else off = Math.Min(off, t);
                }
            }
            ConvGemm.PixelTails = true;
            Console.WriteLine($"{name,-24} b{batch}: pixel tail {on,8:F1} µs, 8-wide tile {off,8:F1} µs, ratio {on / off:F3}");
        }
    }
}
