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

    /// <summary>
    /// <c>quick small-conv model [model] [rounds]</c>: the whole generated predictor (1 thread) with <see cref="ChannelVectorConv"/> off
    /// and on, and ONNX Runtime fp32 (1 intra-op thread, on the calling thread), interleaved, at batch 1 and 64: thread CPU
    /// µs per call, best of 5 per round, best over the rounds.
    /// </summary>
    public static void RunModel(string model, int rounds)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
            b.Setup();
            double off = double.MaxValue, on = double.MaxValue, ort = double.MaxValue;
            for (int round = 0; round < rounds; round++)
            {
                ChannelVectorConv.Enabled = false;
                off = Math.Min(off, QuickTimer.Report($"{model} b{batch} previous conv path", b.Generated));
                ChannelVectorConv.Enabled = true;
                on = Math.Min(on, QuickTimer.Report($"{model} b{batch} channel vectors", b.Generated));
                ort = Math.Min(ort, QuickTimer.Report($"{model} b{batch} ONNX Runtime fp32", b.OnnxRuntime));
            }

            b.Cleanup();
            Console.WriteLine($"{model} b{batch}: previous {off:0.0} µs ({off / ort:F2}× ORT), channel vectors {on:0.0} µs ({on / ort:F2}× ORT), ORT {ort:0.0} µs");
        }
    }
}
