using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// The headline: prune + palettize + entropy coding, post-training only, at least 20× smaller embedded
/// weights than the fp32 original with at most 1 point of top-1 lost on all of t10k (the manifests' own gate
/// enforces the accuracy bound; calibration is train-2k). The manifests ship with the sample.
/// </summary>
public sealed class CombinedManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-deep-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("mnist_cnn_fc128.onnx", "cnn.deep.compress.json", 1_686_568, false)] // fp32 weight bytes (421,642 parameters)
    [InlineData("mnist_mlp_256.onnx", "mlp.deep.compress.json", 940_584, true)]      // 235,146 parameters
    public void Deep_compression_is_at_least_20x_smaller_within_one_point(string model, string manifest, long fp32WeightBytes, bool checkDeterminism)
    {
        var path = Path.Combine(TestPaths.RepoRoot, "samples", "MnistDigits", "Models", manifest);

        var result = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model(model), path, "Deep", "", _dir, "r"), TestServices.Default);

        var ratio = (double)fp32WeightBytes / result.EmbeddedBytes;
        Assert.True(ratio >= 20, $"{model}: {result.EmbeddedBytes:N0} bytes = {ratio:0.0}x");
        Assert.EndsWith("(tolerance a drop of at most 1 pp) ok", result.Summary);

        // Deterministic: the same model and manifest give the same bytes. Checked on the MLP only, where a second build
        // costs seconds (the CNN's three reconstruction rounds take half a minute; the passes are the same code).
        if (!checkDeterminism)
        {
            return;
        }

        var again = CompressionPipeline.Run(new CompressionRequest(TestPaths.Model(model), path, "Deep", "", Path.Combine(_dir, "again"), "r"), TestServices.Default);
        Assert.Equal(File.ReadAllBytes(result.WeightsPath), File.ReadAllBytes(again.WeightsPath));
        Assert.Equal(File.ReadAllBytes(result.CompressedModelPath), File.ReadAllBytes(again.CompressedModelPath));
    }
}
