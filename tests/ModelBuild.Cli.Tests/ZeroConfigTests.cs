namespace ModelBuild.Cli.Tests;

/// <summary>Builds without a manifest, or with no passes, need no warning.</summary>
public sealed class ZeroConfigTests
{
    [Theory]
    [InlineData("mnist_mlp_256.onnx")]
    [InlineData("mnist-8.onnx")]
    [InlineData("squeezenet_cifar10.onnx")]
    public void NoManifest_Int8ChecksItselfOnSyntheticInputs_WithoutMB5002(string model)
    {
        using var dir = new TempDir();

        var (code, output, error) = InspectCommandTests.Run("compress", TestPaths.Model(model), "--out", dir.Path, "--class", "M");

        Assert.True(code == 0, error);
        Assert.DoesNotContain("MB5002", error);
        Assert.Matches(@"cosine 1 -> 0\.99\d* \(tolerance cosine at least 0\.99\) ok on 64 synthetic inputs", output);
    }

    [Fact]
    public void EmptyPasses_EmbedsExactFloat32_WithoutMB5002()
    {
        using var dir = new TempDir();
        var manifest = dir.File("m.json");
        File.WriteAllText(manifest, """{ "passes": [] }""");

        var (code, output, error) = InspectCommandTests.Run("compress", TestPaths.Model("mnist_mlp_256.onnx"), "--manifest", manifest, "--out", dir.Path, "--class", "M");

        Assert.True(code == 0, error);
        Assert.Equal("", error.Trim());
        Assert.Contains("no passes (exact float32)", output);
        Assert.InRange(new FileInfo(dir.File("M.weights.mbw")).Length, 940_584, 960_000); // all fp32 weights
    }

    [Fact]
    public void ManifestWithoutValidation_WarnsMB5002_NamingTheManifestAndTheFix()
    {
        using var dir = new TempDir();
        var manifest = dir.File("m.json");
        File.WriteAllText(manifest, """{ "passes": [ { "quantize": { "weights": "int4" } } ] }""");

        var (code, _, error) = InspectCommandTests.Run("compress", TestPaths.Model("mnist_mlp_256.onnx"), "--manifest", manifest, "--out", dir.Path, "--class", "M");

        Assert.Equal(0, code);
        Assert.Contains($"{manifest}: warning MB5002: M is compressed with lossy passes (quantize(int4", error);
        Assert.Contains("Add \"validation\" and \"tolerance\"", error);
    }
}
