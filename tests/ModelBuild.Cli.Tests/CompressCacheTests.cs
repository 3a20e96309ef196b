namespace ModelBuild.Cli.Tests;

/// <summary><c>compress --cache</c>: what lets Debug, Release, every RID and a Rebuild share one compression.</summary>
public sealed class CompressCacheTests
{
    [Fact]
    public void SecondOutputFolder_IsFilledFromTheCache_WithoutCompressing_AndForceCompressesAgain()
    {
        using var dir = new TempDir();
        var cache = dir.File("cache");
        string[] Args(string output) => ["compress", TestPaths.Model("mnist_mlp_256.onnx"), "--out", dir.File(output), "--class", "Mlp", "--cache", cache];

        var (code, first, error) = InspectCommandTests.Run(Args("Debug"));
        Assert.True(code == 0, error);
        Assert.Contains("pass 1/1", first);
        Assert.Single(Directory.GetDirectories(cache, "Mlp-*"));

        var (code2, second, error2) = InspectCommandTests.Run(Args("Release"));
        Assert.True(code2 == 0, error2);
        Assert.DoesNotContain("pass 1/1", second);
        Assert.Contains("outputs copied from", second);
        Assert.Contains("(from the cache)", second);
        foreach (var name in new[] { "Mlp.mbplan", "Mlp.weights.mbw", "Mlp.compressed.onnx", "Mlp.report.html", "Mlp.summary" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.File("Debug"), name)), File.ReadAllBytes(Path.Combine(dir.File("Release"), name)));
        }

        var (code3, forced, error3) = InspectCommandTests.Run([.. Args("Release"), "--force"]);
        Assert.True(code3 == 0, error3);
        Assert.Contains("pass 1/1", forced);
    }

    [Fact]
    public void ChangedManifest_MissesTheCache()
    {
        using var dir = new TempDir();
        var cache = dir.File("cache");
        var manifest = dir.File("m.json");
        File.WriteAllText(manifest, """{ "passes": [ { "quantize": { "weights": "int8" } } ] }""");
        string[] args = ["compress", TestPaths.Model("mnist_mlp_256.onnx"), "--manifest", manifest, "--out", dir.File("a"), "--class", "Mlp", "--cache", cache];
        Assert.Equal(0, InspectCommandTests.Run(args).Code);

        File.WriteAllText(manifest, """{ "passes": [ { "quantize": { "weights": "int4" } } ] }""");
        var (code, output, error) = InspectCommandTests.Run([.. args[..^6], "--out", dir.File("b"), "--class", "Mlp", "--cache", cache]);

        Assert.True(code == 0, error);
        Assert.Contains("pass 1/1: quantize(int4", output);
        Assert.Equal(2, Directory.GetDirectories(cache, "Mlp-*").Length);
    }
}
