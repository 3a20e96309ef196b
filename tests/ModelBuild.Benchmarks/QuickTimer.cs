using System.Diagnostics;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// A few-second Stopwatch check of the hot kernels and models for iterating on a kernel (`-- quick`); it has
/// none of BenchmarkDotNet's statistics, so report BenchmarkDotNet figures, not these.
/// </summary>
internal static class QuickTimer
{
    /// <summary>The float32 convolutions of the real models only (`-- quick conv`).</summary>
    public static void RunRealConvs()
    {
        var conv = new ConvBenchmarks();
        conv.Setup();
        foreach (string c in new[] { "bf-stem", "bf-pw", "bf-dw", "bf-dw-s2", "det-dw5", "det-neck", "det-stem", "det-pw" })
        {
            conv.Case = c;
            Report($"conv {c} float32", conv.Float32Conv);
        }

        // 3×3 stride-1 convs that WinogradConv takes, against the direct packed path.
        foreach (string c in new[] { "conv2", "det-neck" })
        {
            conv.Case = c;
            double winograd = Report($"conv {c} float32 (Winograd)", conv.Float32Conv);
            double direct = Report($"conv {c} float32 direct", conv.Float32ConvDirect);
            Console.WriteLine($"conv {c,-40} Winograd / direct {winograd / direct:F2}");
        }

        // BlazeFace's block tail: the 1×1 conv with its residual Add + Relu fused (compare with bf-pw above).
        conv.Case = "bf-pw";
        Report("conv bf-pw float32 + residual", conv.Float32ConvResidual);
    }

    /// <summary>
    /// The shared models' convolutions, float32 weights, at batch 1 and 64 (`-- quick shared-convs [case…]`), with the direct
    /// path next to the 3×3 ones Winograd takes.
    /// </summary>
    public static void RunSharedConvs(string[] cases)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var conv = new ConvBenchmarks { Batch = batch };
            conv.Setup();
            foreach (string c in cases.Length > 0 ? cases : ["conv1", "conv2", "m8-conv1", "m8-conv2", "sq-conv1", "sq-fire2s1", "sq-fire2e3", "sq-fire4e3", "sq-fire4e1"])
            {
                conv.Case = c;
                double t = Report($"conv {c} float32 batch {batch}", conv.Float32Conv);
                if (c is "conv2" or "sq-fire2e3" or "sq-fire4e3")
                {
                    double direct = Report($"conv {c} float32 batch {batch} direct", conv.Float32ConvDirect);
                    Console.WriteLine($"conv {c,-40} Winograd / direct {t / direct:F2}");
                }
            }
        }
    }

    /// <summary>
    /// The shared models' convolutions with <see cref="ConvGemm.NewTailAndPanelRules"/> off and on, interleaved three
    /// times in one process (`-- quick conv-ab [case…]`): on a loaded machine only an in-process A/B is worth reading.
    /// </summary>
    public static void RunConvRulesAb(string[] cases)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var conv = new ConvBenchmarks { Batch = batch };
            conv.Setup();
            foreach (string c in cases.Length > 0 ? cases : ["conv1", "m8-conv1", "m8-conv2", "sq-conv1", "sq-fire2s1", "sq-fire2e3", "sq-fire4e3", "sq-fire4e1"])
            {
                conv.Case = c;
                double before = double.MaxValue, after = double.MaxValue;
                for (int round = 0; round < 3; round++)
                {
                    ConvGemm.NewTailAndPanelRules = false;
                    before = Math.Min(before, Report($"conv {c} batch {batch} previous rules", conv.Float32Conv));
                    ConvGemm.NewTailAndPanelRules = true;
                    after = Math.Min(after, Report($"conv {c} batch {batch} new rules", conv.Float32Conv));
                }

                Console.WriteLine($"conv {c} batch {batch}: new / previous {after / before:F2} ({after:0.0} / {before:0.0} µs)");
            }
        }
    }

    /// <summary>
    /// The small-image 3×3 convs (mnist_cnn_fc128's conv2 on 14×14, SqueezeNet's fire 3×3 on 7×7) at batch 1 and 64 through
    /// the direct path, <see cref="WinogradConv"/> (tiles per vector) where it applies, and <see cref="BlockedWinograd"/>
    /// with F(4×4) and F(2×2), interleaved three times in one process (`-- quick wino [case…]`).
    /// </summary>
    public static void RunWinogradAb(string[] cases)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            var conv = new ConvBenchmarks { Batch = batch };
            conv.Setup();
            foreach (string c in cases.Length > 0 ? cases : ["conv2", "sq-fire2e3", "sq-fire4e3"])
            {
                conv.Case = c;
                var best = new Dictionary<string, double>();
                for (int round = 0; round < 3; round++)
                {
                    foreach ((string name, bool blocked, int tile, bool direct, int chunk) in new[] { ("direct", false, 0, true, 0), ("tiles", false, 0, false, 0), ("blocked-F4", true, 4, false, 1 << 18), ("blocked-F2", true, 2, false, 1 << 18), ("F4-c17", true, 4, false, 1 << 17), ("F4-c19", true, 4, false, 1 << 19) })
                    {
                        BlockedWinograd.Enabled = blocked;
                        BlockedWinograd.ForcedTile = tile;
                        BlockedWinograd.ChunkFloats = chunk == 0 ? 1 << 18 : chunk;
                        double t = Report($"conv {c} batch {batch} {name}", direct ? conv.Float32ConvDirect : conv.Float32Conv);
                        best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), t);
                    }
                }

                BlockedWinograd.Enabled = true;
                BlockedWinograd.ForcedTile = 0;
                Console.WriteLine($"conv {c} batch {batch}: " + string.Join(", ", best.Select(kv => $"{kv.Key} {kv.Value:0.0} µs")));
            }
        }
    }

#if REALMODELS
    /// <summary>The real models, generated against ONNX Runtime (`-- quick real [model…]`; "ppocr_det-int8" and so on when built with RealModelsInt8=true).</summary>
    public static void RunRealModels(string[] models)
    {
        foreach (string model in models.Length > 0 ? models : ["blazeface_front", "ppocr_det", "ppocr_rec", "ppocr_cls", "wakeword_clf"])
        {
            var b = new RealModelBenchmarks { Model = model };
            b.Setup();
            PairQuick.ApplyExperiment();
            double generated = Report($"{model} generated", b.Generated);
            double ort = Report($"{model} ONNX Runtime", b.OnnxRuntime);
            Console.WriteLine($"{model,-45} ratio {generated / ort:F2}");
            b.Cleanup();
        }
    }
#endif

    /// <summary>The wide MLP in every storage variant and ONNX Runtime (`-- quick wide [batch…]`).</summary>
    public static void RunWideMlp(int[] batches, IReadOnlyList<string>? variants = null)
    {
        foreach (int batch in batches.Length > 0 ? batches : [1, 64])
        {
            foreach (string variant in variants ?? [.. WideMlpBenchmarks.AllVariants])
            {
                var b = new WideMlpBenchmarks { Batch = batch, Variant = variant };
                b.Setup();
                Report($"wide MLP batch {batch} {variant}", b.Run);
                b.Cleanup();
            }
        }
    }

    /// <summary>
    /// The shared CNNs at batch 1 and 64 on one thread: generated with <see cref="BlockedWinograd"/> off and on, and ONNX
    /// Runtime, interleaved three times in one process (`-- quick wino-models [model…]`; thread CPU time, best of each).
    /// </summary>
    public static void RunWinogradModels(string[] models)
    {
        foreach (int batch in new[] { 1, 64 })
        {
            foreach (string model in models.Length > 0 ? models : ["mnist_cnn_fc128", "squeezenet_cifar10"])
            {
                var p = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
                p.Setup();
                double before = double.MaxValue, after = double.MaxValue, ort = double.MaxValue;
                for (int round = 0; round < 3; round++)
                {
                    BlockedWinograd.Enabled = false;
                    before = Math.Min(before, Report($"{model} batch {batch} generated, blocked Winograd off", p.Generated));
                    BlockedWinograd.Enabled = true;
                    after = Math.Min(after, Report($"{model} batch {batch} generated, blocked Winograd on", p.Generated));
                    ort = Math.Min(ort, Report($"{model} batch {batch} ONNX Runtime", p.OnnxRuntime));
                }

                Console.WriteLine($"{model} batch {batch}: generated / ORT {before / ort:F2} (blocked Winograd off) → {after / ort:F2} (on); {before:0.0} / {after:0.0} / ORT {ort:0.0} µs");
                p.Cleanup();
            }
        }
    }

    /// <summary>The shared models at batch 64, generated against ONNX Runtime, with 1 and 2 intra-op threads each (`-- quick models`).</summary>
    public static void RunModels()
    {
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (string model in new[] { "mnist_mlp_256", "mnist_cnn_fc128", "squeezenet_cifar10", "mnist-8" })
            {
                var p = new PredictorBenchmarks { Model = model, Batch = 64, Threads = threads };
                p.Setup();
                double generated = Report($"{model} batch 64 {threads}T generated", p.Generated);
                double ort = Report($"{model} batch 64 {threads}T ORT", p.OnnxRuntime);
                Console.WriteLine($"{model,-45} {threads}T ratio {generated / ort:F2}");
                p.Cleanup();
            }
        }
    }

    public static void Run()
    {
        var conv = new ConvBenchmarks();
        conv.Setup();
        foreach (string c in new[] { "conv1", "conv2", "pointwise", "depthwise", "conv1", "sq-conv1", "sq-fire4e3", "sq-fire4e1" })
        {
            conv.Case = c;
            Report($"conv {c} int8", conv.Int8Conv);
            Report($"conv {c} int8 unpacked", conv.Int8ConvUnpacked);
        }

        var px = new float[32 * 28 * 28];
        var py = new float[32 * 14 * 14];
        var pool = new Pool2DShape(32, 28, 28, 14, 14, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0);
        Report("maxpool 2x2/2 32x28x28", () => Kernels.MaxPool2D(px, py, pool, 1));
        var sqPool = new Pool2DShape(64, 15, 15, 7, 7, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0);
        Report("maxpool 3x3/2 64x15x15", () => Kernels.MaxPool2D(px, py, sqPool, 1));
        var tx = new float[32 * 32 * 3];
        var ty = new float[32 * 32 * 3];
        Report("transpose 32x32x3 -> 3x32x32", () => Kernels.Transpose(tx, ty, [32, 32, 3], [2, 0, 1], 1));

        foreach (int batch in new[] { 1, 16 })
        {
            var dense = new DenseBenchmarks { Batch = batch, Layer = "3136x128" };
            dense.Setup();
            Report($"dense 3136x128 int8 batch {batch}", dense.Int8);
        }

        foreach (string model in new[] { "mnist_cnn_fc128", "squeezenet_cifar10", "mnist_mlp_256", "mnist-8" })
        {
            foreach (int batch in new[] { 1, 64 })
            {
                var p = new PredictorBenchmarks { Model = model, Batch = batch };
                p.Setup();
                Report($"{model} batch {batch} generated", p.Generated);
                Report($"{model} batch {batch} ORT", p.OnnxRuntime);
                p.Cleanup();
            }
        }
    }

    internal static double Report(string name, Action action)
    {
        // Warm up past tiered compilation, then take the best of 5 rounds (least disturbed by other processes).
        var watch = Stopwatch.StartNew();
        int n = 0;
        while (watch.ElapsedMilliseconds < 300 || n < 50)
        {
            action();
            n++;
        }

        int reps = Math.Max(10, n / 2);
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long t0 = ThreadClock.Nanoseconds();
            for (int i = 0; i < reps; i++)
            {
                action();
            }

            best = Math.Min(best, (ThreadClock.Nanoseconds() - t0) / 1e3 / reps);
        }

        var wall = Stopwatch.StartNew();
        long cpu0 = ThreadClock.Nanoseconds();
        for (int i = 0; i < reps; i++)
        {
            action();
        }

        Console.WriteLine($"{name,-45} {best,10:0.0} µs  (last {reps} calls: wall {wall.Elapsed.TotalMicroseconds / reps:0.0} µs, cpu {(ThreadClock.Nanoseconds() - cpu0) / 1e3 / reps:0.0} µs)");
        return best;
    }
}
