using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Storage.Formats;

/// <summary>The <c>entropy</c> pass through the whole pipeline: a Brotli payload the runtime loads to the same weights.</summary>
public sealed class EntropyPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-entropy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Entropy_pass_compresses_the_payload_and_decodes_to_the_same_weights()
    {
        var plain = Run("plain", """{ "passes": [ { "quantize": {} } ] }""");
        var packed = Run("packed", """{ "passes": [ { "quantize": {} }, { "entropy": { "codec": "brotli" } } ] }""");

        var plainBytes = File.ReadAllBytes(plain.WeightsPath);
        var packedBytes = File.ReadAllBytes(packed.WeightsPath);
        Assert.Equal(0, plainBytes[6] & 1);
        Assert.Equal(1, packedBytes[6] & 1);
        Assert.True(packedBytes.Length < plainBytes.Length, $"{packedBytes.Length} vs {plainBytes.Length} bytes");

        var a = WeightBlob.Load(plainBytes);
        var b = WeightBlob.Load(packedBytes);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a.Name(i), b.Name(i));
            Assert.Equal(a.Floats(i), b.Floats(i));
        }
    }

    private CompressionResult Run(string name, string manifestJson)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, manifestJson);
        return CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", Path.Combine(dir, "out"), "r"), TestServices.Default);
    }
}
