using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>
/// Issue 13 D7: with the entropy pass, ternary weights cost no more than int2 ones (5-trits-a-byte packing hid the
/// code boundaries from Brotli; the storage step now also tries 2-bit codes, and ternary GPTQ uses int2 GPTQ's
/// min-max grid, whose codes are as sparse).
/// </summary>
public sealed class TernaryEntropyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-ternary-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ternary_gptq_with_entropy_is_no_larger_than_int2_gptq_with_entropy()
    {
        var ternary = Run("ternary");
        var int2 = Run("int2");

        Assert.True(ternary.EmbeddedBytes <= int2.EmbeddedBytes, $"ternary {ternary.EmbeddedBytes:N0} B vs int2 {int2.EmbeddedBytes:N0} B");
    }

    private CompressionResult Run(string weights)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, weights)).FullName;
        var manifest = Path.Combine(dir, "m.json");
        var images = Path.Combine(TestPaths.MnistDir, "train-2k-images-idx3-ubyte.gz").Replace("\\", "/", StringComparison.Ordinal);
        File.WriteAllText(manifest, $$"""
            { "calibration": { "images": "{{images}}", "preprocessing": "unit", "count": 128 },
              "passes": [ { "quantize": { "weights": "{{weights}}", "method": "gptq" } }, { "entropy": { "codec": "brotli" } } ] }
            """);
        return CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", Path.Combine(dir, "out"), "r"), TestServices.Default);
    }
}
