using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick pointwise [rounds] [C:OC:H:W …]</c>: int8-weight 1×1 convs at batch 1 through the integer path
/// (<see cref="FixedPointConv"/>) and the float tiles, alternating in rounds in one process (thread CPU time per call,
/// median of the per-round ratios), with the largest difference between the two outputs relative to the largest output.
/// The default shapes are BlazeFace's and PaddleOCR's detector's.
/// </summary>
internal static class PointwiseQuick
{
    private static readonly string[] Defaults = ["24:24:64:64", "24:28:64:64", "36:42:32:32", "80:88:16:16", "16:32:128:128", "48:48:64:64", "96:96:32:32", "192:192:16:16", "384:384:8:8"];

    public static void Run(string[] args)
    {
        VnniSwitch.AfterMacs = 0; // steady state from the first timed call, as after a BenchmarkDotNet warm-up
        PairQuick.ApplyExperiment();
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 15;
        string[] shapes = [.. args.SkipWhile(a => int.TryParse(a, out _))];
        foreach (string shape in shapes.Length > 0 ? shapes : Defaults)
        {
            int[] d = [.. shape.Split(':').Select(int.Parse)];
            (int c, int oc, int h, int w) = (d[0], d[1], d[2], d[3]);
            var rng = new Random(7);
            WeightMatrix weights = RandomWeights.Int8(rng, oc, c);
            float[] x = [.. Enumerable.Range(0, c * h * w).Select(_ => Math.Max(0, (float)rng.NextDouble() - 0.3f))];
            float[] bias = [.. Enumerable.Range(0, oc).Select(_ => (float)rng.NextDouble())];
            var s = new Conv2DShape(c, h, w, oc, h, w, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
            float[] y = new float[oc * h * w], scratch = new float[Math.Max(1, Kernels.Conv2DScratch(s))];
            void Call() => Kernels.Conv2D(x, weights, bias, y, scratch, s, 1, Activation.Relu);

            FixedPointConv.Enabled = false;
            Call();
            float[] floats = [.. y];
            FixedPointConv.Enabled = true;
            Call();
            double largest = floats.Max(v => Math.Abs(v)), diff = floats.Zip(y).Max(t => Math.Abs(t.First - t.Second));

            int per = Math.Max(1, (int)(2e7 / (2.0 * c * oc * h * w)));
            var ratios = new List<double>();
            var times = new List<(double Int, double Float)>();
            for (int round = 0; round < rounds; round++)
            {
                FixedPointConv.Enabled = true;
                double integer = Time(Call, per);
                FixedPointConv.Enabled = false;
                double plain = Time(Call, per);
                ratios.Add(integer / plain);
                times.Add((integer, plain));
            }

            FixedPointConv.Enabled = true;
            ratios.Sort();
            double bestInt = times.Min(t => t.Int), bestFloat = times.Min(t => t.Float);
            Console.WriteLine($"pointwise {shape,-14} integer {bestInt,8:0.0} µs  float {bestFloat,8:0.0} µs  integer / float median {ratios[ratios.Count / 2]:F2}  ({2.0 * c * oc * h * w / bestInt / 1e3:0} GFLOP/s)  max |diff| / max |y| {diff / largest:E1}");
        }
    }

    private static double Time(Action call, int per)
    {
        long t0 = ThreadClock.Nanoseconds();
        for (int i = 0; i < per; i++)
        {
            call();
        }

        return (ThreadClock.Nanoseconds() - t0) / 1e3 / per;
    }
}
