using System.Diagnostics;

namespace ModelBuild.Benchmarks;

/// <summary>
/// <c>quick threads [rounds] [model…]</c>: the shared models at batch 1 and 64, generated with 1 and 2 intra-op
/// threads against ONNX Runtime with 1 and 2 (<see cref="PredictorBenchmarks"/>'s setups), in interleaved rounds of
/// ~20 ms each. Thread CPU time cannot time two threads, so this is wall time: per variant the median and the best
/// round (the best is the least disturbed by other processes on a shared machine), and the process CPU time per call
/// (which shows what spinning helpers cost). BenchmarkDotNet's <c>PredictorBenchmarks</c> (Threads 1, 2) gives the
/// figures on a quiet machine.
/// </summary>
internal static class ThreadsQuick
{
    private static readonly string[] s_models = ["mnist_mlp_256", "mnist-8", "mnist_cnn_fc128", "squeezenet_cifar10"];

    public static void Run(string[] args)
    {
        PairQuick.ApplyExperiment();
        if (args is ["int8", .. var rest])
        {
            RunInt8(rest);
            return;
        }

        if (args is ["split", .. var splitArgs])
        {
            RunSplit(splitArgs);
            return;
        }

        if (args is ["alone", var aloneModel, var aloneBatch, var aloneThreads, var side])
        {
            // One side alone in its process, as BenchmarkDotNet runs a case: the generated predictor with ORT's session
            // disposed (an ORT session's pool keeps a thread spinning that takes the core our helper needs), or ORT.
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            int t = int.Parse(aloneThreads, invariant);
            RunOneCase(aloneModel, int.Parse(aloneBatch, invariant), t, t, disposeOrt: side == "gen", ort: side == "ort");
            return;
        }

        if (args is ["process", var caseModel, var caseBatch, var caseThreads, .. var extra])
        {
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            int threads = int.Parse(caseThreads, invariant);
            RunOneCase(caseModel, int.Parse(caseBatch, invariant), threads, extra is [var o, ..] ? int.Parse(o, invariant) : threads, extra is [_, "dispose"]);
            return;
        }

        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 15;
        string[] models = [.. args.Where(a => !int.TryParse(a, out _))];
        if (models.Length == 0)
        {
            models = s_models;
        }

        Console.WriteLine($"wall µs per call: median / best of {rounds} rounds; cpu = process CPU µs per call (median round)");
        foreach (string model in models)
        {
            foreach (int batch in new[] { 1, 64 })
            {
                Measure(model, batch, rounds);
            }
        }
    }

    /// <summary>
    /// <c>quick threads split [rounds] [model…]</c>: batch 1 with 2 threads with the single-image splits on and off
    /// (<see cref="ModelBuild.Runtime.IntraOp.SplitOneImage"/>), against 1 thread and ONNX Runtime, interleaved.
    /// </summary>
    private static void RunSplit(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 15;
        string[] models = [.. args.Where(a => !int.TryParse(a, out _))];
        foreach (string model in models.Length == 0 ? s_models : models)
        {
            var one = new PredictorBenchmarks { Model = model, Batch = 1, Threads = 1 };
            var two = new PredictorBenchmarks { Model = model, Batch = 1, Threads = 2 };
            one.Setup();
            two.Setup();
            Measure(model, 1, rounds,
            [
                ("gen 1T      ", () => { SetThreads(1); one.Generated(); }),
                ("gen 2T split", () => { SetThreads(2); ModelBuild.Runtime.IntraOp.SplitOneImage = true; two.Generated(); }),
                ("ORT 1T      ", one.OnnxRuntime),
                ("ORT 2T      ", two.OnnxRuntime),
                ("gen 2T whole", () => { SetThreads(2); ModelBuild.Runtime.IntraOp.SplitOneImage = false; two.Generated(); }),
            ]);
            ModelBuild.Runtime.IntraOp.SplitOneImage = true;
            SetThreads(1);
            one.Cleanup();
            two.Cleanup();
        }
    }

    /// <summary>
    /// <c>quick threads int8 [rounds] [model/batch…]</c>: the conv models with 8-bit activations (dynamic; Int8ConvBenchmarks'
    /// "int8-act", run through the plan interpreter) with 1 and 2 intra-op threads, against ONNX Runtime fp32 with 1 and 2.
    /// </summary>
    private static void RunInt8(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 15;
        string[] cases = [.. args.Where(a => !int.TryParse(a, out _))];
        if (cases.Length == 0)
        {
            cases = ["mnist-8/1", "squeezenet_cifar10/1", "squeezenet_cifar10/64", "mnist_cnn_fc128/1", "mnist_cnn_fc128/64"];
        }

        Console.WriteLine($"8-bit activations; wall µs per call: median / best of {rounds} rounds; cpu = process CPU µs per call (median round)");
        foreach (string c in cases)
        {
            var one = new Int8ConvBenchmarks { Case = c, Variant = "int8-act", Threads = 1 };
            var two = new Int8ConvBenchmarks { Case = c, Variant = "int8-act", Threads = 2 };
            one.Setup();
            two.Setup();
            Measure(c.Split('/')[0], int.Parse(c.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture), rounds,
                [("gen 1T", one.Generated), ("gen 2T", two.Generated), ("ORT 1T", one.OnnxRuntime), ("ORT 2T", two.OnnxRuntime)]);
            one.Cleanup();
            two.Cleanup();
        }
    }

    /// <summary>
    /// <c>quick threads process model batch threads [ORT threads [dispose]]</c>: one BenchmarkDotNet case as BenchmarkDotNet runs it, alone in
    /// its process (PredictorBenchmarks' setup with ORT's session at that thread count, then only the generated
    /// predictor): the median and best of 15 rounds of ~20 ms, wall and calling-thread CPU µs per call. Run several
    /// processes alternating the thread count to tell a thread-count effect from process-to-process variation.
    /// </summary>
    private static void RunOneCase(string model, int batch, int threads, int ortThreads, bool disposeOrt, bool ort = false)
    {
        var b = new PredictorBenchmarks { Model = model, Batch = batch, Threads = ortThreads };
        b.Setup();
        SetThreads(threads);
        if (File.Exists("/proc/thread-self/status"))
        {
            // ONNX Runtime with intra-op threads may pin the threads it runs on: show what the calling thread may use.
            Console.WriteLine(File.ReadLines("/proc/thread-self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list", StringComparison.Ordinal)));
        }

        if (disposeOrt)
        {
            b.Cleanup(); // the ORT session (and its thread pool) gone before the generated predictor is timed
        }

        Action call = ort ? b.OnnxRuntime : b.Generated;
        int perRound = 1;
        for (var watch = Stopwatch.StartNew(); watch.ElapsedMilliseconds < 300; perRound++)
        {
            call();
        }

        perRound = Math.Max(3, perRound * 20 / 300);
        var wall = new List<double>();
        var cpu = new List<double>();
        var process = new List<double>();
        for (int round = 0; round < 15; round++)
        {
            long p0 = ThreadClock.ProcessNanoseconds(), c0 = ThreadClock.Nanoseconds(), t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRound; i++)
            {
                call();
            }

            wall.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / perRound);
            cpu.Add((ThreadClock.Nanoseconds() - c0) / 1e3 / perRound);
            process.Add((ThreadClock.ProcessNanoseconds() - p0) / 1e3 / perRound);
        }

        if (!disposeOrt)
        {
            b.Cleanup();
        }

        Console.WriteLine($"{model,-20} b{batch,-3} {(ort ? "ORT" : "gen")} {threads}T (ORT session {ortThreads}T{(disposeOrt ? ", disposed" : "")}) alone: wall {Median(wall),9:F1} / {wall.Min(),9:F1}  thread cpu {Median(cpu),9:F1} / {cpu.Min(),9:F1}  process cpu {Median(process),9:F1}");
    }

    private static void Measure(string model, int batch, int rounds)
    {
        var one = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 1 };
        var two = new PredictorBenchmarks { Model = model, Batch = batch, Threads = 2 };
        one.Setup();
        two.Setup();
        Measure(model, batch, rounds,
        [
            ("gen 1T", () => { SetThreads(1); one.Generated(); }),
            ("gen 2T", () => { SetThreads(2); two.Generated(); }),
            ("ORT 1T", one.OnnxRuntime),
            ("ORT 2T", two.OnnxRuntime),
        ]);
        SetThreads(1);
        one.Cleanup();
        two.Cleanup();
    }

    /// <summary>Times four variants (generated 1T, 2T, ORT 1T, 2T, in that order) in interleaved rounds and prints medians, bests and ratios.</summary>
    private static void Measure(string model, int batch, int rounds, (string Name, Action Call)[] variants)
    {

        // Calls per round: ~20 ms of the 1-thread generated predictor.
        var watch = Stopwatch.StartNew();
        int calls = 0;
        while (watch.ElapsedMilliseconds < 200)
        {
            foreach (var v in variants)
            {
                v.Call();
            }

            calls++;
        }

        int perRound = Math.Max(3, (int)(calls * 20 / Math.Max(1, watch.ElapsedMilliseconds)));
        var wall = variants.Select(_ => new List<double>()).ToArray();
        var cpu = variants.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                Action call = variants[v].Call;
                // Untimed calls for 15 ms first: the round starts warm (helpers awake), as a burst of predictions would,
                // and the previous variant's idle threads (ONNX Runtime's pool spins after its runs) have gone to
                // sleep instead of taking the core this variant's helper needs.
                long warmUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 15 / 1000);
                do
                {
                    call();
                }
                while (Stopwatch.GetTimestamp() < warmUntil);

                long c0 = ThreadClock.ProcessNanoseconds(), t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < perRound; i++)
                {
                    call();
                }

                long t1 = Stopwatch.GetTimestamp(), c1 = ThreadClock.ProcessNanoseconds();
                wall[v].Add((t1 - t0) * 1e6 / Stopwatch.Frequency / perRound);
                cpu[v].Add((c1 - c0) / 1e3 / perRound);
            }
        }

        double[] median = [.. wall.Select(Median)];
        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"{model,-20} b{batch,-3} {variants[v].Name}  {median[v],10:F1} / {wall[v].Min(),10:F1}  cpu {Median(cpu[v]),10:F1}");
        }

        if (variants.Length > 4)
        {
            Console.WriteLine($"{model,-20} b{batch,-3} split / whole (median) {median[1] / median[4]:F2}, (best) {wall[1].Min() / wall[4].Min():F2}; best gen2T/ORT2T {wall[1].Min() / wall[3].Min():F2}");
        }

        Console.WriteLine($"{model,-20} b{batch,-3} ratios (median): gen2T/gen1T {median[1] / median[0]:F2}  gen2T/ORT2T {median[1] / median[3]:F2}  gen1T/ORT1T {median[0] / median[2]:F2}  ORT2T/ORT1T {median[3] / median[2]:F2}");
    }

    private static void SetThreads(int threads)
    {
        Mnist8Model.IntraOpThreads = threads;
        MnistMlpModel.IntraOpThreads = threads;
        MnistCnnModel.IntraOpThreads = threads;
        SqueezeNetModel.IntraOpThreads = threads;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
