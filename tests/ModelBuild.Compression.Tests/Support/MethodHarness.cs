using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Planning;
using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Data;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>A shared MNIST model, its preprocessing, and how to score a compressed version of it.</summary>
internal sealed record MnistCase(string File, float Scale, float Mean, float Std)
{
    public static MnistCase Mlp { get; } = new("mnist_mlp_256.onnx", 1 / 255f, 0, 1);

    public static MnistCase Cnn { get; } = new("mnist_cnn_fc128.onnx", 1 / 255f, 0.5f, 0.5f);

    public static MnistCase Zoo { get; } = new("mnist-8.onnx", 1 / 255f, 0, 1);

    public float[] Preprocess(byte[] pixels) => pixels.Select(p => ((p * Scale) - Mean) / Std).ToArray();
}

/// <summary>
/// Runs manifest passes on a shared model the way the pipeline does, then scores the result with ONNX Runtime.
/// Calibration always comes from train-2k; accuracy is always measured on t10k (never calibrate on test images).
/// </summary>
internal static class MethodHarness
{
    private static readonly Lazy<(byte[] Pixels, int Count)> s_train = new(() => Load("train-2k-images-idx3-ubyte.gz"));
    private static readonly Lazy<(byte[] Pixels, int Count)> s_test = new(() => Load("t10k-images-idx3-ubyte.gz"));
    private static readonly Lazy<byte[]> s_testLabels = new(() => IdxReader.ReadLabels(Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz")));

    /// <summary>The model as the pipeline sees it before the passes (simplified, shapes inferred).</summary>
    public static ModelGraph LoadGraph(MnistCase model)
    {
        var graph = OnnxImporter.Import(TestPaths.Model(model.File));
        GraphOptimizer.Simplify(graph);
        GemmNormalizer.Run(graph);
        ShapeInference.Run(graph);
        return graph;
    }

    /// <summary>A context with <paramref name="calibrationCount"/> train-2k images as calibration data.</summary>
    public static CompressionContext Context(MnistCase model, int calibrationCount = 256)
    {
        var (pixels, _) = s_train.Value;
        var samples = model.Preprocess(pixels.AsSpan(0, calibrationCount * 784).ToArray());
        var calibration = new CalibrationSet(samples, calibrationCount, [1, 28, 28], null);
        return new CompressionContext(LoadGraph(model), TestPaths.Model(model.File), "test.compress.json", calibration, null, TestServices.Default);
    }

    /// <summary>Applies the passes of a manifest given as JSON text.</summary>
    public static CompressionContext Apply(MnistCase model, string manifestJson, int calibrationCount = 256)
    {
        var context = Context(model, calibrationCount);
        foreach (var pass in CompressionManifest.Parse(manifestJson, "test.compress.json").Passes)
        {
            pass.CreatePass().Apply(context);
            ShapeInference.Run(context.Graph);
        }

        return context;
    }

    /// <summary>The graph with every stored representation decoded back into its float weights.</summary>
    public static ModelGraph Decoded(CompressionContext context)
    {
        foreach (var layer in context.Layers())
        {
            if (context.Stored.TryGetValue(layer.Name, out var stored))
            {
                context.SetMatrix(layer, stored.Decode());
            }
        }

        return context.Graph;
    }

    /// <summary>Top-1 accuracy (0..1) of <paramref name="graph"/> on <paramref name="count"/> t10k images from <paramref name="offset"/> (default: the first).</summary>
    public static double Accuracy(ModelGraph graph, MnistCase model, int count = 10_000, int offset = 0)
    {
        var (pixels, _) = s_test.Value;
        var inputs = model.Preprocess(pixels.AsSpan(offset * 784, count * 784).ToArray());
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(graph), model.File);
        var outputs = session.RunAll(inputs, count);
        return Metrics.Top1Accuracy(outputs, 10, s_testLabels.Value.AsSpan(offset, count).ToArray());
    }

    /// <summary>Top-1 accuracy of the original model (the baseline every method is judged against).</summary>
    public static double OriginalAccuracy(MnistCase model, int count = 10_000) => Accuracy(LoadGraph(model), model, count);

    private static (byte[] Pixels, int Count) Load(string file)
    {
        var images = IdxReader.ReadImages(Path.Combine(TestPaths.MnistDir, file));
        return (images.Pixels, images.Count);
    }
}
