using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Tests.Support;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>AdaRound and the block refit through the manifest and the whole pipeline: options, errors, determinism.</summary>
public sealed class ReconstructionPipelineTests : IDisposable
{
    private const string Path = "m.compress.json";
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-recon-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Same_model_and_manifest_give_the_same_blob()
    {
        // The two smaller MLP layers keep this to seconds; the refit still runs after each.
        const string quantize = """{ "weights": "int3", "method": "adaround", "iterations": 200, "blockRefit": true, "layers": ["net.3.weight", "net.6.weight"] }""";

        var first = Run("a", quantize);
        var second = Run("b", quantize);

        Assert.Equal(File.ReadAllBytes(first.WeightsPath), File.ReadAllBytes(second.WeightsPath));
        Assert.Equal(File.ReadAllBytes(first.CompressedModelPath), File.ReadAllBytes(second.CompressedModelPath));
        var report = File.ReadAllText(first.ReportPath);
        Assert.Contains("AdaRound output error", report, StringComparison.Ordinal);
        Assert.Contains("block refit 'net.6.weight'", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_read_and_described()
    {
        var spec = Parse("""{"weights":"int2","method":"adaround","iterations":800,"blockRefit":true}""");

        Assert.Equal((QuantMethod.AdaRound, 800, true), (spec.Method, spec.Iterations, spec.BlockRefit));
        Assert.Equal("quantize(int2,per-channel,symmetric,adaround(steps=800),block-refit)", spec.Describe());
        Assert.Equal((500, false), (Parse("""{"method":"adaround"}""").Iterations, Parse("{}").BlockRefit));
        Assert.Equal("quantize(int4,per-channel,symmetric,gptq(damp=0.01,block=128),block-refit)", Parse("""{"weights":"int4","method":"gptq","blockRefit":true}""").Describe());
    }

    [Theory]
    [InlineData("{\"passes\":[{\"quantize\":{\"iterations\":100}}]}", 1, 38, "'iterations' applies only with \"method\": \"adaround\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"method\":\"adaround\",\"iterations\":0}}]}", 1, 58, "'iterations' must be a whole number from 1")]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"fp16\",\"method\":\"adaround\"}}]}", 1, 51, "\"method\": \"adaround\" needs an integer weight type")]
    [InlineData("{\"passes\":[{\"quantize\":{\"blockRefit\":1}}]}", 1, 38, "true or false")]
    public void Bad_options_fail_with_code_line_and_column(string json, int line, int column, string message)
    {
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse(json, Path));
        Assert.Equal(("MB2003", Path, line, column), (e.Code, e.File, e.Line, e.Column));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"weights":"int3","method":"adaround"}""")]
    [InlineData("""{"weights":"int3","blockRefit":true}""")]
    public void Without_calibration_data_the_build_fails_with_MB2005(string quantize)
    {
        var manifest = System.IO.Path.Combine(_dir, "nocal.json");
        File.WriteAllText(manifest, $$"""{ "passes": [ { "quantize": {{quantize}} } ] }""");

        var e = Assert.Throws<ModelBuildException>(() => CompressionPipeline.Run(
            new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", System.IO.Path.Combine(_dir, "nocal"), "r"), TestServices.Default));

        Assert.Equal("MB2005", e.Code);
    }

    private static QuantizeSpec Parse(string settings) =>
        Assert.IsType<QuantizeSpec>(Assert.Single(CompressionManifest.Parse($$"""{"passes":[{"quantize":{{settings}}}]}""", Path).Passes));

    private CompressionResult Run(string name, string quantize)
    {
        var dir = Directory.CreateDirectory(System.IO.Path.Combine(_dir, name)).FullName;
        var manifest = System.IO.Path.Combine(dir, "m.json");
        var images = System.IO.Path.Combine(TestPaths.MnistDir, "train-2k-images-idx3-ubyte.gz").Replace("\\", "/", StringComparison.Ordinal);
        File.WriteAllText(manifest, $$"""
            { "calibration": { "images": "{{images}}", "preprocessing": "unit", "count": 128 },
              "passes": [ { "quantize": {{quantize}} }, { "entropy": { "codec": "brotli" } } ] }
            """);
        return CompressionPipeline.Run(new CompressionRequest(TestPaths.Model("mnist_mlp_256.onnx"), manifest, "Mlp", "", System.IO.Path.Combine(dir, "out"), "r"), TestServices.Default);
    }
}
