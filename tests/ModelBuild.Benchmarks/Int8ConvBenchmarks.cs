using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Evaluation.Services;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Conv models with 8-bit activations (the manifest's <c>quantize-activations</c>, dynamic: QuantizedConvOp and
/// QuantizedDenseOp) next to the default int8 weight-only build and ONNX Runtime fp32 on the original file, side by
/// side, 1 and 2 intra-op threads (ORT with as many). The two builds are compressed in process when the benchmark starts and run through
/// <see cref="PlanInterpreter"/>, which constructs the same op records the generated class does (so the figures are the
/// generated code's, without adding a build of every variant to this project). Real models run when fetched.
/// </summary>
[MemoryDiagnoser]
public class Int8ConvBenchmarks
{
    private static readonly Dictionary<string, int[]> s_samples = new()
    {
        ["mnist_cnn_fc128"] = [1, 28, 28],
        ["squeezenet_cifar10"] = [32, 32, 3], // NHWC (a Keras export)
        ["mnist-8"] = [1, 28, 28],
        ["ppocr_cls"] = [3, 48, 192],
        ["ppocr_det"] = [3, 256, 256],
        ["ppocr_rec"] = [3, 48, 320],
        ["blazeface_front"] = [128, 128, 3],
        ["wakeword_clf"] = [25, 96],
    };

    private ModelProgram _program = null!;
    private OpContext _context = null!;
    private float[] _input = null!;
    private int[] _shape = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private OrtValue[] _ortInputs = null!;
    private OrtValue[] _ortOutputs = null!;
    private string _work = "";

    /// <summary>"model/batch": the shared conv models at batch 1 and 64, the real models at batch 1 (mnist-8 has a fixed batch of 1).</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "mnist_cnn_fc128/1";

    /// <summary>"int8": int8 weights, float activations (the default build); "int8-act": 8-bit activations as well.</summary>
    [Params("int8", "int8-act")]
    public string Variant { get; set; } = "int8-act";

    /// <summary>Intra-op threads on both sides: the program's <c>IntraOpThreads</c> and ORT's <c>IntraOpNumThreads</c>.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    public static IEnumerable<string> Cases() =>
    [
        "mnist_cnn_fc128/1", "mnist_cnn_fc128/64", "squeezenet_cifar10/1", "squeezenet_cifar10/64", "mnist-8/1",
        .. new[] { "blazeface_front", "ppocr_cls", "ppocr_det", "ppocr_rec", "wakeword_clf" }.Where(m => File.Exists(ModelPath(m))).Select(m => m + "/1"),
    ];

    [GlobalSetup]
    public void Setup()
    {
        var (model, batch) = (Case.Split('/')[0], int.Parse(Case.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
        _shape = [batch, .. s_samples[model]];
        var rng = new Random(7);
        bool mnist = model.StartsWith("mnist", StringComparison.Ordinal);
        _input = [.. Enumerable.Range(0, _shape.Aggregate(1, (a, d) => a * d)).Select(_ => mnist ? rng.NextSingle() : (rng.NextSingle() * 2) - 1)];

        _work = Directory.CreateTempSubdirectory("mb-int8conv-bench-").FullName;
        var manifest = "";
        if (Variant == "int8-act")
        {
            manifest = Path.Combine(_work, "m.json");
            File.WriteAllText(manifest, """{ "passes": [ { "quantize-activations": { "mode": "dynamic" } } ] }""");
        }

        var result = CompressionPipeline.Run(new CompressionRequest(ModelPath(model), manifest, "Bench", "", _work, "r"), EvaluationServices.Create());
        _program = PlanInterpreter.Load(File.ReadAllText(result.PlanPath), WeightBlob.Load(File.ReadAllBytes(result.WeightsPath)));
        _program.IntraOpThreads = Threads;
        _context = new OpContext(_program);

        using var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(ModelPath(model), options);
        _runOptions = new RunOptions();
        _inputNames = [.. _session.InputNames];
        _outputNames = [.. _session.OutputNames];
        _ortInputs = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(), [.. _shape.Select(d => (long)d)])];
        using (var first = _session.Run(_runOptions, _inputNames, _ortInputs, _outputNames))
        {
            _ortOutputs = [.. first.Select(v => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                new float[v.GetTensorTypeAndShape().Shape.Aggregate(1L, (a, d) => a * d)].AsMemory(), v.GetTensorTypeAndShape().Shape))];
        }

        Generated();
        OnnxRuntime();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var v in _ortInputs.Concat(_ortOutputs))
        {
            v.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Benchmark]
    public void Generated()
    {
        _context.SetInput<float>(_program.Inputs[0], _input, _shape);
        _program.Run(_context);
    }

    /// <summary>ONNX Runtime fp32 on the original file (the same for both variants).</summary>
    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _ortInputs, _outputNames, _ortOutputs);

    /// <summary>`-- quick int8-conv [case…]`: ORT fp32, int8 and int8-act per case, thread CPU time, with the ratios.</summary>
    public static void Quick(string[] cases)
    {
        foreach (string c in cases.Length > 0 ? cases : Cases())
        {
            double ort = 0;
            foreach (string variant in new[] { "int8", "int8-act" })
            {
                var b = new Int8ConvBenchmarks { Case = c, Variant = variant };
                b.Setup();
                if (variant == "int8")
                {
                    ort = QuickTimer.Report($"{c} ORT fp32", b.OnnxRuntime);
                }

                double t = QuickTimer.Report($"{c} {variant}", b.Generated);
                Console.WriteLine($"{c,-30} {variant,-9} ratio to ORT fp32 {t / ort:F2}");
                b.PrintOpTimes();
                b.Cleanup();
            }
        }
    }

    /// <summary>Each op's fastest time over 50 calls (thread CPU time), the slowest first: where the variant's time goes.</summary>
    private void PrintOpTimes()
    {
        var best = new long[_program.Ops.Count];
        Array.Fill(best, long.MaxValue);
        for (int call = 0; call < 50; call++)
        {
            _context.SetInput<float>(_program.Inputs[0], _input, _shape);
            for (int i = 0; i < best.Length; i++)
            {
                long t0 = ThreadClock.Nanoseconds();
                _program.Ops[i].Execute(_context);
                best[i] = Math.Min(best[i], ThreadClock.Nanoseconds() - t0);
            }
        }

        foreach (int i in Enumerable.Range(0, best.Length).OrderByDescending(i => best[i]).Take(6))
        {
            Console.WriteLine($"    {best[i] / 1e3,9:F1} µs  {_program.Ops[i].GetType().Name} {_program.Ops[i].Node}");
        }
    }

    private static string ModelPath(string model) => model is "mnist_cnn_fc128" or "squeezenet_cifar10" or "mnist-8"
        ? Path.Combine(BenchmarkPaths.SharedDir(), "models", model + ".onnx")
        : Path.Combine(BenchmarkPaths.RealModelsDir(), model + ".onnx");
}
