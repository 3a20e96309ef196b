using ModelBuild.Evaluation;
using ModelBuild.Evaluation.Data;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>
/// How far a compressed model's outputs are from the original's on train-2k images that calibration never saw
/// (calibration takes the first images; these start at <see cref="First"/>).
/// </summary>
internal static class HeldOut
{
    /// <summary>The first held-out train-2k image (calibration uses at most the first 1,024).</summary>
    public const int First = 1024;

    private static readonly Lazy<byte[]> s_pixels = new(() => IdxReader.ReadImages(Path.Combine(TestPaths.MnistDir, "train-2k-images-idx3-ubyte.gz")).Pixels);

    /// <summary>Mean squared difference of the logits of <paramref name="graph"/> and the original model on <paramref name="count"/> held-out images.</summary>
    public static double OutputError(ModelGraph graph, MnistCase model, int count = 512)
    {
        var inputs = model.Preprocess(s_pixels.Value.AsSpan(First * 784, count * 784).ToArray());
        var original = Run(MethodHarness.LoadGraph(model), model, inputs, count);
        var compressed = Run(graph, model, inputs, count);
        return original.Zip(compressed, (a, b) => ((double)a - b) * ((double)a - b)).Average();
    }

    private static float[] Run(ModelGraph graph, MnistCase model, float[] inputs, int count)
    {
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(graph), model.File);
        return session.RunAll(inputs, count);
    }
}
