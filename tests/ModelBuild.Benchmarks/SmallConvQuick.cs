using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick small-conv [case…]</c>: convolutions with few output channels at batch 1 and 64 through
/// <see cref="ChannelVectorConv"/> and through the path they took before (im2col or phase planes), interleaved three times
/// in one process (thread CPU time, best of 5 rounds each), with the largest difference between the two outputs.
/// </summary>
internal static class SmallConvQuick
{
    public static void Run(string[] cases)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var conv = new ConvBenchmarks { Batch = batch };
            conv.Setup();
            foreach (string c in cases.Length > 0 ? cases : ["m8-conv1", "m8-conv2", "conv1", "bf-stem", "det-stem"])
            {
                conv.Case = c;
                double before = double.MaxValue, after = double.MaxValue;
                for (int round = 0; round < 3; round++)
                {
                    ChannelVectorConv.Enabled = false;
                    before = Math.Min(before, QuickTimer.Report($"conv {c} batch {batch} previous path", conv.Float32Conv));
                    float[] old = [.. conv.Output];
                    ChannelVectorConv.Enabled = true;
                    after = Math.Min(after, QuickTimer.Report($"conv {c} batch {batch} channel vectors", conv.Float32Conv));
                    if (round == 0)
                    {
                        double diff = old.Zip(conv.Output).Max(t => Math.Abs(t.First - t.Second));
                        Console.WriteLine($"conv {c} batch {batch}: largest difference {diff:G3}");
                    }
                }

                Console.WriteLine($"conv {c} batch {batch}: channel vectors / previous {after / before:F2} ({after:0.0} / {before:0.0} µs)");
            }
        }
    }
}
