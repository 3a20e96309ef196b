using System.Diagnostics;
using System.Runtime;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Cold start (`-- quick cold [rounds] [model…]`): the first prediction of a fresh process, generated predictor
/// (construct + first <c>Predict</c>, which loads the weights blob) against ONNX Runtime (<c>new InferenceSession</c>
/// on the original .onnx, 1 intra-op thread, + first <c>Run</c>, which includes loading its native library). Each
/// sample is a new child process running one side, the two sides interleaved; the child measures from just before
/// construction to the first result, so .NET's own start-up (the same for both) is not counted. Reported: the
/// median and best of the rounds in process CPU time (all threads, so background JIT and ORT's threads count) and
/// wall time, and the ratio of the CPU medians. `-- quick cold-parts [model…]` splits the generated side into JIT,
/// resource read, blob decode and the rest (BreakDown).
/// </summary>
internal static class ColdStart
{
    /// <summary>The models, with the input shape of their first prediction.</summary>
    internal static readonly Dictionary<string, int[]> Shapes = new()
    {
        ["mnist-8"] = [1, 1, 28, 28],
        ["mnist_mlp_256"] = [1, 1, 28, 28],
        ["mnist_cnn_fc128"] = [1, 1, 28, 28],
        ["squeezenet_cifar10"] = [1, 32, 32, 3],
#if REALMODELS
        ["ppocr_cls"] = [1, 3, 48, 192],
        ["ppocr_det"] = [1, 3, 256, 256],
        ["ppocr_rec"] = [1, 3, 48, 320],
        ["blazeface_front"] = [1, 128, 128, 3],
        ["wakeword_clf"] = [1, 25, 96],
#endif
    };

    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 7;
        string[] models = args.SkipWhile(a => int.TryParse(a, out _)).ToArray();
        Console.WriteLine($"{"model",-20} {"gen cpu ms",11} {"(best)",7} {"wall",7} {"ORT cpu ms",11} {"(best)",7} {"wall",7} {"gen/ORT cpu",12} {"wall",6}");
        foreach (string model in models.Length > 0 ? models : [.. Shapes.Keys])
        {
            var gen = new List<(double Cpu, double Wall)>();
            var ort = new List<(double Cpu, double Wall)>();
            for (int i = 0; i < rounds; i++)
            {
                gen.Add(Parse(RunChild("cold-child", "gen", model)));
                ort.Add(Parse(RunChild("cold-child", "ort", model)));
            }

            double gc = Median(gen.Select(s => s.Cpu)), gw = Median(gen.Select(s => s.Wall));
            double oc = Median(ort.Select(s => s.Cpu)), ow = Median(ort.Select(s => s.Wall));
            Console.WriteLine($"{model,-20} {gc,11:F1} {gen.Min(s => s.Cpu),7:F1} {gw,7:F1} {oc,11:F1} {ort.Min(s => s.Cpu),7:F1} {ow,7:F1} {gc / oc,12:F2} {gw / ow,6:F2}");
        }
    }

    /// <summary>`-- quick cold-parts [model…]`: one child per model printing <see cref="BreakDown"/>'s split.</summary>
    public static void Parts(string[] models)
    {
        foreach (string model in models.Length > 0 ? models : [.. Shapes.Keys])
        {
            Console.WriteLine($"{model,-20} {RunChild("cold-parts-child", "gen", model)}");
        }
    }

    /// <summary>One sample in this (fresh) process: prints "cpu-ms wall-ms".</summary>
    public static void Child(string side, string model)
    {
        int[] shape = Shapes[model];
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        var rng = new Random(7);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = rng.NextSingle();
        }

        if (Environment.GetEnvironmentVariable("MB_EXP") is not null)
        {
            PairQuick.ApplyExperiment(); // an A/B (e.g. no-vnni); without one no switch is touched before the clock starts
        }

        _ = ThreadClock.ProcessNanoseconds(); // binds clock_gettime before the clock starts
        var wall = Stopwatch.StartNew();
        long cpu0 = ThreadClock.ProcessNanoseconds();
        float first = side == "ort" ? OrtFirst(model, input, shape) : ColdModels.First(model, input, shape);
        long cpu1 = ThreadClock.ProcessNanoseconds();
        wall.Stop();
        Console.WriteLine($"{(cpu1 - cpu0) / 1e6:F2} {wall.Elapsed.TotalMilliseconds:F2} {first}");
        if (Environment.GetEnvironmentVariable("MODELBUILD_SMAPS") == "1")
        {
            Console.Error.WriteLine(File.ReadAllText("/proc/self/smaps_rollup"));
        }
    }

    /// <summary>
    /// The generated side in parts, in one fresh process: the blob loaded on its own twice (the first load includes
    /// the JIT of the loading code, the second is resource read + decode only, timed again reading the resource
    /// alone), then the generated program's static constructor (the op list), then the first prediction (which loads
    /// the blob a third time, as a user's would). Prints ms of CPU.
    /// </summary>
    public static void BreakDown(string model)
    {
        int[] shape = Shapes[model];
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        var assembly = typeof(ColdStart).Assembly;
        string resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith("." + ColdModels.ClassName(model) + ".weights.mbw", StringComparison.Ordinal));
        _ = ThreadClock.ProcessNanoseconds();
        double jit0 = JitMs();
        double Time(Action a)
        {
            long t0 = ThreadClock.ProcessNanoseconds();
            a();
            return (ThreadClock.ProcessNanoseconds() - t0) / 1e6;
        }

        using LoadListener? loads = Environment.GetEnvironmentVariable("MODELBUILD_LIST_LOADS") == "1" ? new LoadListener() : null;
        Thread.Sleep(loads is null ? 0 : 300);
        var loadStart = DateTime.UtcNow;
        double load1 = Time(() => WeightBlob.FromResource(assembly, resource));
        var loadEnd = DateTime.UtcNow;
        double jitLoad = JitMs() - jit0;
        double load2 = Time(() => WeightBlob.FromResource(assembly, resource));
        double read = Time(() =>
        {
            using Stream s = assembly.GetManifestResourceStream(resource)!;
            var bytes = new byte[s.Length];
            s.ReadExactly(bytes);
        });
        using JitListener? listener = Environment.GetEnvironmentVariable("MODELBUILD_LIST_JIT") == "1" ? new JitListener() : null;

        // The generated program class's static constructor on its own: JIT of the generated operator list (the
        // Values()/Ops() methods, whose IL grows with the model) and the construction of the op records.
        Type program = assembly.GetTypes().Single(t => t.Name.EndsWith("__" + ColdModels.ClassName(model) + "Program", StringComparison.Ordinal));
        double jitP = JitMs();
        var programStart = DateTime.UtcNow;
        double programMs = Time(() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(program.TypeHandle));
        double jitProgram = JitMs() - jitP;
        var programEnd = DateTime.UtcNow;
        double jit1 = JitMs();
        long methods0 = System.Runtime.JitInfo.GetCompiledMethodCount();
        if (Environment.GetEnvironmentVariable("MODELBUILD_PRELOAD") is { Length: > 0 } preload)
        {
            foreach (string name in preload.Split(';'))
            {
                double ms = Time(() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(Type.GetType(name, throwOnError: true)!.TypeHandle));
                Console.Write($"{name.Split('`')[0].Split('.')[^1]}<{name.Split("[[")[^1].TrimEnd(']')}> {ms:F2}; ");
            }
        }

        var predictStart = DateTime.UtcNow;
        (long faults0, long rss0) = (MinorFaults(), Environment.WorkingSet);
        double predict = Time(() => ColdModels.First(model, input, shape));
        (long faults1, long rss1) = (MinorFaults(), Environment.WorkingSet);
        var predictEnd = DateTime.UtcNow;
        double jitPredict = JitMs() - jit1;
        long methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methods0;
        double second = Time(() => ColdModels.First(model, input, shape));
        if (listener is not null)
        {
            Thread.Sleep(500); // events arrive on a dispatcher thread
            lock (listener.Methods)
            {
                Console.Error.WriteLine(string.Join("\n", listener.Methods.Select(m => m.Line)));
                Console.Error.WriteLine($"{listener.Methods.Count} methods, {listener.Methods.Sum(m => m.Ms):F1} ms between their JIT start and load events");
            }
        }

        if (loads is not null)
        {
            Thread.Sleep(500);
            lock (loads.Events)
            {
                for (int i = 0; i < loads.Events.Count; i++)
                {
                    DateTime at = loads.Events[i].At.ToUniversalTime();
                    string? phase = at >= loadStart && at <= loadEnd ? "load" : at >= programStart && at <= programEnd ? "program" : at >= predictStart && at <= predictEnd ? "predict" : null;
                    if (phase is null)
                    {
                        continue;
                    }

                    double gap = i + 1 < loads.Events.Count ? (loads.Events[i + 1].At - loads.Events[i].At).TotalMilliseconds : 0;
                    Console.Error.WriteLine($"{phase} {gap,7:F3} {loads.Events[i].Line}");
                }
            }
        }

        using Stream s = assembly.GetManifestResourceStream(resource)!;
        Console.WriteLine(
            $"blob {s.Length / 1024.0:F0} KiB: load (cold) {load1:F1} ms of which JIT {jitLoad:F1}; load (warm) {load2:F1} = resource read {read:F1} + decode {load2 - read:F1}; " +
            $"program (generated op list) {programMs:F1} ms of which JIT {jitProgram:F1}; first predict (after it) {predict:F1} ms of which JIT {jitPredict:F1} ({methods} methods), " +
            $"{faults1 - faults0} page faults, working set +{(rss1 - rss0) / 1048576.0:F1} MiB; a second new+predict {second:F1}");
    }

    /// <summary>This process's minor page faults so far (field 10 of /proc/self/stat); 0 where there is no such file.</summary>
    internal static long MinorFaults()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            return 0;
        }

        string stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double JitMs() => System.Runtime.JitInfo.GetCompilationTime(false).TotalMilliseconds;

    internal static float OrtFirst(string model, float[] input, int[] shape)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, // ppocr_rec's unused-initializer warnings
        };
        using var session = new InferenceSession(ModelPath(model), options);
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(input, [.. shape.Select(d => (long)d)]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, [.. session.InputNames], [value], [.. session.OutputNames]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    private static string ModelPath(string model)
    {
        string shared = Path.Combine(BenchmarkPaths.SharedDir(), "models", model + ".onnx");
        return File.Exists(shared) ? shared : Path.Combine(BenchmarkPaths.RealModelsDir(), model + ".onnx");
    }

    private static string RunChild(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ColdStart).Assembly.Location);
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process child = Process.Start(start)!;
        string line = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"child {string.Join(' ', args)} failed ({child.ExitCode}): {line}");
        }

        return line;
    }

    private static (double Cpu, double Wall) Parse(string line)
    {
        string[] parts = line.Split(' ');
        return (double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
