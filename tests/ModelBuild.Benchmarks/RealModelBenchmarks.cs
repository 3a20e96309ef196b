#if REALMODELS
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The five real models of ../shared/realmodels as shipped (exact float32 weights, dynamic dims kept), batch 1 and 64,
/// generated predictor against ONNX Runtime on the original file, side by side; ORT with one intra-op thread and
/// pre-created OrtValues, the generated code through its allocation-free span overload. Sizes are the apps'
/// usual ones (PaddleOCR: 48×192 direction crops, 48×320 text lines, a 256×256 detector input). Built with
/// <c>RealModelsInt8=true</c> (an MSBuild property or environment variable), the four conv models are also there with
/// the default manifest (int8 weights): cases <c>ppocr_det-int8/1</c> and so on, against ONNX Runtime fp32 on the
/// original file.
/// </summary>
[MemoryDiagnoser]
public class RealModelBenchmarks
{
    private static readonly Dictionary<string, int[]> s_shapes = new()
    {
        ["ppocr_cls"] = [1, 3, 48, 192],
        ["ppocr_det"] = [1, 3, 256, 256],
        ["ppocr_rec"] = [1, 3, 48, 320],
        ["blazeface_front"] = [1, 128, 128, 3],
        ["wakeword_clf"] = [1, 25, 96],
    };

    private float[] _input = null!;
    private int[] _shape = null!;
    private float[][] _outputs = null!;
    private int[][] _outputShapes = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private OrtValue[] _ortInputs = null!;
    private OrtValue[] _ortOutputs = null!;
    private float[][] _ortData = null!;
    private PpOcrClsModel _cls = null!;
    private PpOcrDetModel _det = null!;
    private PpOcrRecModel _rec = null!;
    private BlazeFaceModel _face = null!;
    private WakeWordModel _wake = null!;
#if REALMODELS_INT8
    private PpOcrClsInt8Model _clsInt8 = null!;
    private PpOcrDetInt8Model _detInt8 = null!;
    private PpOcrRecInt8Model _recInt8 = null!;
    private BlazeFaceInt8Model _faceInt8 = null!;
#endif

    /// <summary>
    /// The case, <c>model/batch</c>: every model at batch 1, and at 64 those whose batch dim is dynamic (the BlazeFace and
    /// wake-word exports fix it at 1, for ONNX Runtime as for the generated predictor).
    /// </summary>
#if REALMODELS_INT8
    [Params("ppocr_cls/1", "ppocr_cls/64", "ppocr_det/1", "ppocr_det/64", "ppocr_rec/1", "ppocr_rec/64", "blazeface_front/1", "wakeword_clf/1",
        "ppocr_cls-int8/1", "ppocr_cls-int8/64", "ppocr_det-int8/1", "ppocr_det-int8/64", "ppocr_rec-int8/1", "ppocr_rec-int8/64", "blazeface_front-int8/1")]
#else
    [Params("ppocr_cls/1", "ppocr_cls/64", "ppocr_det/1", "ppocr_det/64", "ppocr_rec/1", "ppocr_rec/64", "blazeface_front/1", "wakeword_clf/1")]
#endif
    public string Case
    {
        get => Model + "/" + Batch;
        set
        {
            // BenchmarkDotNet's generated runner may assign null before the case's value.
            if (value is { } text)
            {
                (Model, Batch) = (text.Split('/')[0], int.Parse(text.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>The model (file name without .onnx; "-int8" appended for the default manifest's build).</summary>
    public string Model { get; set; } = "ppocr_cls";

    private string File => Model.Replace("-int8", "", StringComparison.Ordinal);

    private bool Int8 => Model.EndsWith("-int8", StringComparison.Ordinal);

    /// <summary>Samples per call.</summary>
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _shape = [Batch, .. s_shapes[File][1..]];
        var rng = new Random(7);
        _input = [.. Enumerable.Range(0, _shape.Aggregate(1, (a, d) => a * d)).Select(_ => (rng.NextSingle() * 2) - 1)];
        (_cls, _det, _rec, _face, _wake) = (new(), new(), new(), new(), new());
#if REALMODELS_INT8
        (_clsInt8, _detInt8, _recInt8, _faceInt8) = (new(), new(), new(), new());
#endif

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(Path.Combine(RealModelsDir(), File + ".onnx"), options);
        _runOptions = new RunOptions();
        _inputNames = [.. _session.InputNames];
        _outputNames = [.. _session.OutputNames];
        _ortInputs = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(), [.. _shape.Select(d => (long)d)])];

        // Output shapes from one ORT run (they depend on the input's size), then buffers for both runtimes.
        using (var first = _session.Run(_runOptions, _inputNames, _ortInputs, _outputNames))
        {
            _outputShapes = [.. first.Select(v => v.GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray())];
        }

        _outputs = [.. _outputShapes.Select(s => new float[s.Aggregate(1, (a, d) => a * d)])];
        _ortData = [.. _outputShapes.Select(s => new float[s.Aggregate(1, (a, d) => a * d)])];
        _ortOutputs = [.. _outputShapes.Select((s, i) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ortData[i].AsMemory(), s.Select(d => (long)d).ToArray()))];

        // Both must compute the same function before their speeds mean anything (int8 weights: a nearby one, printed).
        Generated();
        OnnxRuntime();
        if (Int8)
        {
            double diff = _outputs.Zip(_ortData).Max(p => p.First.Zip(p.Second).Max(t => Math.Abs(t.First - t.Second)));
            double largest = _ortData.Max(d => d.Max(Math.Abs));
            Console.WriteLine($"// {Model}: int8 weights against ONNX Runtime fp32 on the original, largest |difference| {diff:G3} (largest |output| {largest:G3})");
            return;
        }

        for (var o = 0; o < _outputs.Length; o++)
        {
            for (var i = 0; i < _outputs[o].Length; i++)
            {
                if (!(Math.Abs(_outputs[o][i] - _ortData[o][i]) <= 1e-3f + (1e-3f * Math.Abs(_ortData[o][i]))))
                {
                    throw new InvalidOperationException($"{Model}: output {o}[{i}] is {_outputs[o][i]} generated vs {_ortData[o][i]} ONNX Runtime.");
                }
            }
        }
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
    }

    [Benchmark]
    public void Generated()
    {
        switch (Model)
        {
            case "ppocr_cls":
                _cls.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "ppocr_det":
                _det.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "ppocr_rec":
                _rec.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "blazeface_front":
                _face.Predict(_input, _shape, _outputs[0], _outputShapes[0], _outputs[1], _outputShapes[1], _outputs[2], _outputShapes[2], _outputs[3], _outputShapes[3]);
                break;
#if REALMODELS_INT8
            case "ppocr_cls-int8":
                _clsInt8.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "ppocr_det-int8":
                _detInt8.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "ppocr_rec-int8":
                _recInt8.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
            case "blazeface_front-int8":
                _faceInt8.Predict(_input, _shape, _outputs[0], _outputShapes[0], _outputs[1], _outputShapes[1], _outputs[2], _outputShapes[2], _outputs[3], _outputShapes[3]);
                break;
#endif
            default:
                _wake.Predict(_input, _shape, _outputs[0], _outputShapes[0]);
                break;
        }
    }

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _ortInputs, _outputNames, _ortOutputs);

    private static string RealModelsDir() =>
        Environment.GetEnvironmentVariable("MODELBUILD_REALMODELS") is { Length: > 0 } dir ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelbuild-realmodels");
}
#endif
