namespace ModelBuild.Cli.Tests;

/// <summary><c>modelbuild compress</c> and <c>modelbuild eval</c>, in-process, against the shared models and data.</summary>
public sealed class CompressAndEvalCommandTests
{
    [Fact]
    public void Compress_WritesTheBuildOutputs_AndIsByteIdenticalTheSecondTime()
    {
        using var dir = new TempDir();
        string[] args = ["compress", TestPaths.Model("mnist_mlp_256.onnx"), "--out", dir.Path, "--class", "Mlp"];

        var (code, output, error) = InspectCommandTests.Run(args);
        Assert.True(code == 0, error);
        Assert.Contains("mnist_mlp_256.onnx -> Mlp", output);
        var files = new[] { "Mlp.mbplan", "Mlp.weights.mbw", "Mlp.compressed.onnx", "Mlp.report.md" }.Select(dir.File).ToArray();
        var first = files.Select(File.ReadAllBytes).ToArray();
        Assert.All(first, bytes => Assert.NotEmpty(bytes));
        // int8 weights + float32 biases: about a quarter of the 940,584 fp32 weight bytes.
        Assert.InRange(first[1].Length, 235_146, 245_000);

        Assert.Equal(0, InspectCommandTests.Run(args).Code);
        Assert.All(files.Zip(first), pair => Assert.Equal(pair.Second, File.ReadAllBytes(pair.First)));
    }

    [Fact]
    public void Compress_BadManifestKey_ReportsFileLineAndColumn()
    {
        using var dir = new TempDir();
        var manifest = dir.File("m.json");
        File.WriteAllText(manifest, "{\n  \"passes\": [ { \"quantize\": { \"colour\": 4 } } ]\n}\n");

        var (code, _, error) = InspectCommandTests.Run("compress", TestPaths.Model("mnist_mlp_256.onnx"), "--manifest", manifest, "--out", dir.Path);

        Assert.Equal(1, code);
        Assert.Contains($"{manifest}(2,31): error MB2002: unknown key 'colour'", error);
        Assert.False(File.Exists(dir.File("MnistMlp256Model.mbplan")), "nothing may be written when the manifest is bad");
    }

    [Fact]
    public void Eval_PrintsTheTop1AccuracyOfTheModelsReadme()
    {
        var (code, output, error) = InspectCommandTests.Run("eval", TestPaths.Model("mnist_cnn_fc128.onnx"),
            "--data", Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz"),
            "--labels", Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz"),
            "--preprocess", "scale=1/255 mean=0.5 std=0.5");

        Assert.True(code == 0, error);
        Assert.Contains("10,000 samples of [1,28,28]", output);
        Assert.Contains("top-1 accuracy: 98.77 %", output); // shared/models/README.md
    }
}
