using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelBuild.Evaluation;

/// <summary>
/// An ONNX Runtime CPU session used as the reference implementation. Inputs and outputs are float32 tensors
/// (integer outputs are converted to float). One intra-op thread by default so results are reproducible.
/// </summary>
public sealed partial class OnnxRuntimeSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _displayName;

    private OnnxRuntimeSession(InferenceSession session, string displayName)
    {
        _session = session;
        _displayName = displayName;
        InputNames = session.InputNames.ToArray();
        OutputNames = session.OutputNames.ToArray();
        int[] first = InputNames.Count == 0 ? [] : InputShape(0);
        BatchSize = first is [> 0, ..] ? first[0] : -1;
    }

    /// <summary>The graph inputs, in model order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The graph outputs, in model order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The first graph input, which the single-input runs feed.</summary>
    /// <exception cref="ModelBuildException">MB4001 when ONNX Runtime sees no graph input.</exception>
    public string FirstInputName => InputNames.Count > 0 ? InputNames[0]
        : throw new ModelBuildException(EvaluationErrors.RuntimeRefused, _displayName, "ONNX Runtime sees no graph input to feed, so the model cannot be evaluated.");

    /// <summary>The first graph output, which the single-output runs return.</summary>
    /// <exception cref="ModelBuildException">MB4001 when ONNX Runtime sees no graph output.</exception>
    public string FirstOutputName => OutputNames.Count > 0 ? OutputNames[0]
        : throw new ModelBuildException(EvaluationErrors.RuntimeRefused, _displayName, "ONNX Runtime sees no graph output (a value info may declare it as a type it does not return), so the model cannot be evaluated.");

    /// <summary>True when the first input's batch dimension is a fixed number (e.g. 1 for mnist-8).</summary>
    public bool FixedBatch => BatchSize > 0;

    /// <summary>The first input's fixed batch size, or -1 when the batch is dynamic.</summary>
    public int BatchSize { get; }

    /// <summary>Loads an ONNX file. Missing file: MB1001; ONNX Runtime refuses it: MB4001.</summary>
    /// <param name="path">The model file.</param>
    /// <param name="intraOpThreads">ONNX Runtime's intra-op threads; 1 keeps results bit-reproducible.</param>
    public static OnnxRuntimeSession FromFile(string path, int intraOpThreads = 1) => FromFile(path, path, intraOpThreads, optimize: true);

    /// <summary>
    /// Loads a compressed model the compressor streamed to <paramref name="path"/>, named <paramref name="displayName"/>
    /// in errors (or a model written for a recording, <c>TemporaryOnnxFile</c>). ONNX Runtime reads the file itself, so
    /// no managed copy of the model is held; from <see cref="UnoptimizedFromBytes"/> of the file and its external data
    /// file <c>path + ".data"</c> together, the session skips graph optimisation (issue 12, see there).
    /// </summary>
    public static OnnxRuntimeSession FromCompressedFile(string path, string displayName, int intraOpThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A large compressed model keeps its weights in "<file>.data" beside it (CompressedOnnx.Stage): they count too.
        long bytes = File.Exists(path) ? new FileInfo(path).Length + (File.Exists(path + ".data") ? new FileInfo(path + ".data").Length : 0) : 0;
        return FromFile(path, displayName, intraOpThreads, optimize: bytes < UnoptimizedFromBytes);
    }

    /// <summary>
    /// The size of a compressed .onnx from which the checks run it without ONNX Runtime's graph optimisations: those
    /// rewrite the int8 weights' DequantizeLinear (folded or fused into MatMulNBits) into copies of the weights held
    /// next to the originals, 5–6 times the file's size in all on a 0.5 GB model, which broke issue 12's peak-memory
    /// bound. Unoptimised, each operator runs in its reference form: the same arithmetic the generated code does.
    /// Smaller models keep the optimised session, so their reports do not change. Measured on the 0.537 GB default
    /// int8 (8 × 4096², a 134 MB compressed file) with the compressor's own copies gone, the build's peak was 1.09–1.13 GB
    /// with optimised checks and 1.19 GB with unoptimised ones: no gain there. Kept for files from 256 MiB only because
    /// the one ≥ 2.5 GB run (README, "Compressor memory on large models") used it; remove it if an optimised run of
    /// that model stays within issue 12's bound.
    /// </summary>
    public const long UnoptimizedFromBytes = 256L << 20;

    private static OnnxRuntimeSession FromFile(string path, string displayName, int intraOpThreads, bool optimize)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(displayName);
        SafeFiles.RequireRegularOrMissing(path, EvaluationErrors.ModelMissing, "ONNX model file");
        if (!File.Exists(path))
        {
            throw new ModelBuildException(EvaluationErrors.ModelMissing, path,
                "The ONNX file does not exist. Check the path (relative paths are resolved from the current directory).");
        }

        return Create(options => new InferenceSession(path, options), displayName, intraOpThreads, optimize);
    }

    /// <summary>Loads a model held in memory; <paramref name="displayName"/> names it in errors.</summary>
    public static OnnxRuntimeSession FromBytes(byte[] model, string displayName, int intraOpThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(displayName);
        return Create(options => new InferenceSession(model, options), displayName, intraOpThreads);
    }

    /// <summary>The declared shape of input <paramref name="index"/>; -1 marks symbolic or unknown dimensions.</summary>
    public int[] InputShape(int index) => _session.InputMetadata[InputNames[index]].Dimensions.ToArray();

    /// <summary>The declared shape of output <paramref name="index"/>; -1 marks symbolic or unknown dimensions.</summary>
    public int[] OutputShape(int index) => _session.OutputMetadata[OutputNames[index]].Dimensions.ToArray();

    /// <summary>Runs the first input with <paramref name="shape"/> and returns the first output's data.</summary>
    public float[] RunSingle(float[] input, int[] shape)
    {
        var output = FirstOutputName;
        var inputs = new Dictionary<string, (float[] Data, int[] Shape)> { [FirstInputName] = (input, shape) };
        return Run(inputs, [output])[output].Data;
    }

    /// <summary>Runs the model on named float32 inputs and returns the requested outputs (all by default).</summary>
    public IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Run(
        IReadOnlyDictionary<string, (float[] Data, int[] Shape)> inputs, IEnumerable<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        foreach (var (name, (data, shape)) in inputs)
        {
            long expected = shape.Aggregate(1L, (a, d) => a * d);
            if (expected != data.Length)
            {
                Release(values);
                throw new ArgumentException($"Input '{name}' has {data.Length} values but shape [{string.Join(",", shape)}] needs {expected}.", nameof(inputs));
            }

            values[name] = OrtValue.CreateTensorValueFromMemory(data, shape.Select(d => (long)d).ToArray());
        }

        return RunValues(values, outputNames, string.Join(", ", inputs.Select(i => $"{i.Key} [{string.Join(",", i.Value.Shape)}]")));
    }

    /// <summary>Runs <paramref name="values"/> (disposed here) and converts the requested outputs to float.</summary>
    private Dictionary<string, (float[] Data, int[] Shape)> RunValues(Dictionary<string, OrtValue> values, IEnumerable<string>? outputNames, string shapes)
    {
        var names = (outputNames ?? OutputNames).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, values, names);
            var output = new Dictionary<string, (float[] Data, int[] Shape)>(StringComparer.Ordinal);
            int i = 0;
            foreach (var result in results)
            {
                output[names[i++]] = ToFloat(result);
            }

            return output;
        }
        catch (OnnxRuntimeException e)
        {
            // The model loads but fails on an input of its declared shape (e.g. a Reshape whose target does not fit):
            // the file itself is inconsistent, so say so against the model, never as an internal error.
            throw new ModelBuildException(EvaluationErrors.RuntimeRefused, _displayName,
                $"ONNX Runtime could not run the model on inputs of shape {shapes}: {e.Message.ReplaceLineEndings(" ")}", inner: e);
        }
        finally
        {
            Release(values);
        }
    }

    private static void Release(Dictionary<string, OrtValue> values)
    {
        foreach (var value in values.Values)
        {
            value.Dispose();
        }

        values.Clear();
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    private static OnnxRuntimeSession Create(Func<SessionOptions, InferenceSession> open, string name, int intraOpThreads, bool optimize = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intraOpThreads, 1);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,

            // The compressor's sessions run a model a few times on small batches; on a multi-GB model ORT's arena
            // (which keeps its peak blocks) and prepacked weight copies would double the build's peak memory (issue 12).
            EnableCpuMemArena = false,
        };
        options.AddSessionConfigEntry("session.disable_prepacking", "1");
        if (!optimize)
        {
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        }

        // ORT fuses an int8 per-axis DequantizeLinear + MatMul into MatMulNBits, which by default also quantises the
        // activations; keep them float so the compressed .onnx computes what our predictor computes.
        options.AddSessionConfigEntry("session.qdq_matmulnbits_accuracy_level", "0");
        try
        {
            return new OnnxRuntimeSession(open(options), name);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelBuildException(EvaluationErrors.RuntimeRefused, name,
                $"ONNX Runtime could not load the model: {e.Message}. Check that the file is a valid ONNX model with operators ONNX Runtime supports.", inner: e);
        }
    }

    private static (float[] Data, int[] Shape) ToFloat(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape.Select(d => checked((int)d)).ToArray();
        float[] data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => Convert(value.GetTensorDataAsSpan<double>(), v => (float)v),
            TensorElementType.Int64 => Convert(value.GetTensorDataAsSpan<long>(), v => v),
            TensorElementType.Int32 => Convert(value.GetTensorDataAsSpan<int>(), v => v),
            TensorElementType.UInt8 => Convert(value.GetTensorDataAsSpan<byte>(), v => v),
            TensorElementType.Int8 => Convert(value.GetTensorDataAsSpan<sbyte>(), v => v),
            TensorElementType.Bool => Convert(value.GetTensorDataAsSpan<bool>(), v => v ? 1f : 0f),
            TensorElementType.Float16 => Convert(value.GetTensorDataAsSpan<Float16>(), v => (float)v),
            TensorElementType.BFloat16 => Convert(value.GetTensorDataAsSpan<BFloat16>(), v => (float)v),
            var t => throw new ModelBuildException("MB4001", null, $"an output of the model has element type {t}, which cannot be compared as numbers; ModelBuild evaluates float, integer and bool outputs."),
        };
        return (data, shape);
    }

    private static float[] Convert<T>(ReadOnlySpan<T> source, Func<T, float> convert)
    {
        var result = new float[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            result[i] = convert(source[i]);
        }

        return result;
    }
}
