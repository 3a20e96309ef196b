using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Cold start in BenchmarkDotNet (issue 12: first prediction ≤ 0.2× ONNX Runtime's session creation + first run):
/// every sample is a new process (ColdStart strategy, one invocation per launch), and the setup touches neither
/// runtime, so the measured call is the first: construct the generated predictor and predict once (which loads its
/// weights), against <c>new InferenceSession</c> (1 intra-op thread) and a first <c>Run</c> (which loads ORT's native
/// library). Run with <c>--filter "*ColdStartBenchmarks*"</c> (Program.cs adds no ShortRun job to it); ColdStart.cs
/// (`-- quick cold`) is the quicker check with process CPU time. Build with <c>-p:BenchmarksReadyToRun=true</c> to
/// measure the generated predictors precompiled, as in an app published with <c>PublishReadyToRun</c> (README, "Cold
/// start").
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 15, warmupCount: 0, iterationCount: 1, invocationCount: 1, id: "ColdStart")]
public class ColdStartBenchmarks
{
    private float[] _input = null!;
    private int[] _shape = null!;

    /// <summary>The model (file name without .onnx).</summary>
    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "mnist-8";

    public static IEnumerable<string> Models => ColdStart.Shapes.Keys;

    [GlobalSetup]
    public void Setup()
    {
        _shape = ColdStart.Shapes[Model];
        _input = new float[_shape.Aggregate(1, (a, d) => a * d)];
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (i % 255) / 255f;
        }
    }

    [Benchmark]
    public float Generated() => ColdModels.First(Model, _input, _shape);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => ColdStart.OrtFirst(Model, _input, _shape);
}
