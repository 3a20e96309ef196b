using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The wide MLP (784-1024-1024-10) in every storage variant of <see cref="WideMlp.Variants"/>, ONNX Runtime fp32
/// ("ort-fp32", one thread) and ONNX Runtime dynamic int8 ("ort-int8dyn": DynamicQuantizeLinear + MatMulInteger, the
/// same int8 codes, <see cref="WideMlpDynamicInt8"/>) in the same run, at batch 1 and 64. Working set: <see cref="WideMlpMemory"/>.
/// Run: <c>DOTNET_EnableAVX512=0 dotnet run -c Release --project tests/ModelBuild.Benchmarks -- --filter "*WideMlpBenchmarks*"</c>
/// (<c>MODELBUILD_WIDE_VARIANTS=ort-fp32,int8,int4,pal4</c> for a subset).
/// </summary>
[MemoryDiagnoser]
public class WideMlpBenchmarks
{
    private WideMlp? _mlp;
    private InferenceSession? _session;
    private OrtValue[] _ortInputs = [];
    private OrtValue[] _ortOutputs = [];
    private RunOptions? _runOptions;
    private float[] _x = [];
    private float[] _y = [];

    [Params(1, 64)]
    public int Batch { get; set; }

    [ParamsSource(nameof(AllVariants))]
    public string Variant { get; set; } = "int8";

    /// <summary>Every variant, or those MODELBUILD_WIDE_VARIANTS names (comma-separated, e.g. "ort-fp32,int8,int4,pal4": a shorter run).</summary>
    public static IEnumerable<string> AllVariants =>
        Environment.GetEnvironmentVariable("MODELBUILD_WIDE_VARIANTS") is { Length: > 0 } chosen
            ? chosen.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : ["ort-fp32", "ort-int8dyn", .. WideMlp.Variants];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _x = [.. Enumerable.Range(0, Batch * WideMlp.Inputs).Select(_ => rng.NextSingle())];
        _y = new float[Batch * WideMlp.Outputs];
        if (Variant.StartsWith("ort-", StringComparison.Ordinal))
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            _session = new InferenceSession(Variant == "ort-fp32" ? WideMlp.Onnx() : WideMlpDynamicInt8.Onnx(), options);
            _runOptions = new RunOptions();
            _ortInputs = [OrtValue.CreateTensorValueFromMemory(_x, [Batch, WideMlp.Inputs])];
            _ortOutputs = [OrtValue.CreateTensorValueFromMemory(_y, [Batch, WideMlp.Outputs])];
        }
        else
        {
            _mlp = new WideMlp(WeightBlob.Load(WideMlp.Blob(Variant)), Variant.EndsWith("-f32", StringComparison.Ordinal), Variant.EndsWith("-act", StringComparison.Ordinal), Variant.EndsWith("-csr", StringComparison.Ordinal));
        }

        Run();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (OrtValue v in _ortInputs.Concat(_ortOutputs))
        {
            v.Dispose();
        }

        _runOptions?.Dispose();
        _session?.Dispose();
    }

    [Benchmark]
    public void Run()
    {
        if (_session is not null)
        {
            _session.Run(_runOptions, ["x"], _ortInputs, ["y"], _ortOutputs);
        }
        else
        {
            _mlp!.Predict(_x, _y, Batch);
        }
    }
}
