using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Whole-model latency, generated predictor against ONNX Runtime on the original .onnx, side by side in one run.
/// ORT gets every advantage we can give it: as many intra-op threads as our predictors (1 or 2, <see cref="Threads"/>), a session created once,
/// input and output OrtValues created once over pinned arrays, and the Run overload that writes into them, so
/// what is measured is ORT's graph execution plus its fixed per-call cost. mnist-8 has a fixed batch of 1, so
/// its batch-64 ORT figure is 64 runs over 64 pre-created single-sample values. The input is uniform noise in [0, 1),
/// or with <c>MODELBUILD_BENCH_INPUT=digits</c> MNIST test images for the MNIST models (<see cref="MnistDigits"/>).
/// </summary>
[MemoryDiagnoser]
public class PredictorBenchmarks
{
    private float[] _input = null!;
    private float[] _output = null!;
    private float[] _ortOutput = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private OrtValue[][] _ortInputs = null!;
    private OrtValue[][] _ortOutputs = null!;
    private Mnist8Model _mnist8 = null!;
    private MnistMlpModel _mlp = null!;
    private MnistCnnModel _cnn = null!;
    private SqueezeNetModel _squeeze = null!;

    /// <summary>The model (file name without .onnx).</summary>
    [Params("mnist-8", "mnist_mlp_256", "mnist_cnn_fc128", "squeezenet_cifar10")]
    public string Model { get; set; } = "mnist-8";

    /// <summary>Samples per call.</summary>
    [Params(1, 64)]
    public int Batch { get; set; } = 1;

    /// <summary>Intra-op threads on both sides: the generated class's <c>IntraOpThreads</c> and ORT's <c>IntraOpNumThreads</c>.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>
    /// The generated predictor's cases: <see cref="Setup"/>, then ONNX Runtime's session is disposed, so the process
    /// holds only what a user's would. With ORT's 2-thread session alive in the process, the generated batch-1 rows
    /// measured up to 2.4× the calling thread's CPU time of the same process without it (mnist_cnn_fc128, `quick threads
    /// process`, 6 of 6 runs against 0 of 3 with the session disposed; the generated code splits nothing at batch 1),
    /// which is how "2 threads slower than 1 at batch 1" showed up in this class (issue 12).
    /// </summary>
    [GlobalSetup(Target = nameof(Generated))]
    public void SetupGenerated()
    {
        Setup();
        DisposeOnnxRuntime();
    }

    /// <summary>ONNX Runtime's cases: both sides set up and checked against each other.</summary>
    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime() => Setup();

    /// <summary>Both sides, checked against each other (the quick modes keep both for interleaved rounds).</summary>
    public void Setup()
    {
        (int inPer, int outPer, bool fixedBatch) = Model switch
        {
            "mnist-8" => (Mnist8Model.InputElementsPerSample, Mnist8Model.OutputElementsPerSample, !Mnist8Model.HasDynamicBatch),
            "mnist_mlp_256" => (MnistMlpModel.InputElementsPerSample, MnistMlpModel.OutputElementsPerSample, !MnistMlpModel.HasDynamicBatch),
            "mnist_cnn_fc128" => (MnistCnnModel.InputElementsPerSample, MnistCnnModel.OutputElementsPerSample, !MnistCnnModel.HasDynamicBatch),
            _ => (SqueezeNetModel.InputElementsPerSample, SqueezeNetModel.OutputElementsPerSample, !SqueezeNetModel.HasDynamicBatch),
        };
        _mnist8 = new Mnist8Model();
        _mlp = new MnistMlpModel();
        _cnn = new MnistCnnModel();
        _squeeze = new SqueezeNetModel();
        Mnist8Model.IntraOpThreads = Threads;
        MnistMlpModel.IntraOpThreads = Threads;
        MnistCnnModel.IntraOpThreads = Threads;
        SqueezeNetModel.IntraOpThreads = Threads;
        if (int.TryParse(Environment.GetEnvironmentVariable("MB_CHUNK_BYTES"), out int chunkBytes))
        {
            // An A/B of batch chunks (0 = every batch whole) in any mode built on this class.
            MnistMlpModel.BatchChunkBytes = MnistCnnModel.BatchChunkBytes = SqueezeNetModel.BatchChunkBytes = chunkBytes;
        }

        var rng = new Random(7);
        _input = new float[inPer * Batch];
        if (MnistDigits.Requested && MnistDigits.Fits(Model))
        {
            MnistDigits.Fill(SharedDir(), Model, _input);
        }
        else
        {
            for (int i = 0; i < _input.Length; i++)
            {
                _input[i] = rng.NextSingle();
            }
        }

        _output = new float[outPer * Batch];
        _ortOutput = new float[outPer * Batch];

        using var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(Path.Combine(SharedDir(), "models", Model + ".onnx"), options);
        _runOptions = new RunOptions();
        _inputNames = [.. _session.InputNames];
        _outputNames = [.. _session.OutputNames];
        long[] inShape = [.. _session.InputMetadata[_inputNames[0]].Dimensions.Select(d => (long)d)];
        long[] outShape = [.. _session.OutputMetadata[_outputNames[0]].Dimensions.Select(d => (long)d)];

        // One ORT call per sample for a fixed-batch model, one call for the whole batch otherwise.
        int calls = fixedBatch ? Batch : 1, perCall = Batch / calls;
        inShape[0] = perCall;
        outShape[0] = perCall;
        _ortInputs = new OrtValue[calls][];
        _ortOutputs = new OrtValue[calls][];
        for (int c = 0; c < calls; c++)
        {
            _ortInputs[c] = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(c * perCall * inPer, perCall * inPer), inShape)];
            _ortOutputs[c] = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ortOutput.AsMemory(c * perCall * outPer, perCall * outPer), outShape)];
        }

        // Both must agree before their speeds mean anything. Int8 weights: a loose check is enough, relative to the
        // sample's largest output too (mnist-8's logits on a digit reach ±21, where int8 moves a small one by 0.12).
        Generated();
        OnnxRuntime();
        for (int row = 0; row < _output.Length; row += outPer)
        {
            float largest = _ortOutput[row..(row + outPer)].Max(Math.Abs);
            for (int i = row; i < row + outPer; i++)
            {
                if (!(Math.Abs(_output[i] - _ortOutput[i]) <= 0.05f + (0.05f * Math.Abs(_ortOutput[i])) + (0.01f * largest)))
                {
                    throw new InvalidOperationException($"{Model}: output {i} is {_output[i]} generated vs {_ortOutput[i]} ONNX Runtime; sample {row / outPer}: " +
                        $"[{string.Join(", ", _output[row..(row + outPer)])}] vs [{string.Join(", ", _ortOutput[row..(row + outPer)])}].");
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => DisposeOnnxRuntime();

    private void DisposeOnnxRuntime()
    {
        if (_session is null)
        {
            return;
        }

        foreach (var v in _ortInputs.Concat(_ortOutputs).SelectMany(a => a))
        {
            v.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
        _session = null!;
    }

    [Benchmark]
    public void Generated()
    {
        switch (Model)
        {
            case "mnist-8":
                _mnist8.Predict(_input, _output, Batch);
                break;
            case "mnist_mlp_256":
                _mlp.Predict(_input, _output, Batch);
                break;
            case "mnist_cnn_fc128":
                _cnn.Predict(_input, _output, Batch);
                break;
            default:
                _squeeze.Predict(_input, _output, Batch);
                break;
        }
    }

    [Benchmark(Baseline = true)]
    public void OnnxRuntime()
    {
        for (int c = 0; c < _ortInputs.Length; c++)
        {
            _session.Run(_runOptions, _inputNames, _ortInputs[c], _outputNames, _ortOutputs[c]);
        }
    }

    private static string SharedDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelBuild.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            }
        }

        throw new DirectoryNotFoundException("ModelBuild.sln not found above " + AppContext.BaseDirectory);
    }
}
