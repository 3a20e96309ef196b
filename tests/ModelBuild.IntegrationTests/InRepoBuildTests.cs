namespace ModelBuild.IntegrationTests;

/// <summary>
/// One consumer project with all three MNIST models, built once for the class, plus the MLP again forced through
/// ONNX Runtime (<c>Runtime="OnnxRuntime"</c>, the ModelBuild.OnnxRuntime project referenced as a user adds the package).
/// </summary>
public sealed class MnistConsumerFixture : IDisposable
{
    public const string FallbackClass = "MlpOrtModel";

    public MnistConsumerFixture()
    {
        Project = ConsumerProject.InRepo(onnxRuntimeFallback: true, MnistModel.Zoo.AsConsumer(), MnistModel.Mlp.AsConsumer(), MnistModel.Cnn.AsConsumer(),
            MnistModel.Mlp.AsConsumer() with { ClassName = FallbackClass, Runtime = "OnnxRuntime" });
        Build = Project.Build();
    }

    internal ConsumerProject Project { get; }

    internal DotNet.Result Build { get; }

    public void Dispose() => Project.Dispose();
}

[Collection(DotNetBuildCollection.Name)]
public sealed class InRepoBuildTests(MnistConsumerFixture fixture) : IClassFixture<MnistConsumerFixture>
{
    private const int CompareCount = 1000;

    [Fact]
    public void Build_Succeeds_AndWritesAllOutputsPerModel()
    {
        Assert.True(fixture.Build.Succeeded, fixture.Build.Output);
        foreach (var cls in new[] { "ZooModel", "MlpModel", "CnnModel" })
        {
            foreach (var ext in new[] { ".mbplan", ".weights.mbw", ".compressed.onnx", ".report.md", ".report.html" })
            {
                Assert.True(File.Exists(fixture.Project.OutputFile(cls, ext)), cls + ext);
            }
        }
    }

    [Theory]
    [MemberData(nameof(MnistModel.All), MemberType = typeof(MnistModel))]
    public void Int8Predictor_IsWithin0_3PointsOfOnnxRuntimeFp32_OnAll10000TestImages(string file)
    {
        Assert.True(fixture.Build.Succeeded, fixture.Build.Output);
        var model = MnistModel.ByFile(file);
        var inputs = model.Preprocess(TestData.TestImages);

        var ours = fixture.Project.Predict(model.ClassName, inputs, TestData.TestLabels.Length);
        var reference = MnistModel.RunOnnxRuntime(model.Path, inputs, model.DynamicBatch);

        var oursTop1 = MnistModel.Top1(ours, TestData.TestLabels);
        var refTop1 = MnistModel.Top1(reference, TestData.TestLabels);
        Assert.Equal(model.ReadmeTop1, refTop1, 4);
        Assert.True(Math.Abs(oursTop1 - refTop1) <= 0.003, $"{file}: int8 {oursTop1:P2} vs fp32 {refTop1:P2}");
    }

    [Theory]
    [MemberData(nameof(MnistModel.All), MemberType = typeof(MnistModel))]
    public void Predictor_MatchesOnnxRuntimeOnTheCompressedOnnx(string file)
    {
        Assert.True(fixture.Build.Succeeded, fixture.Build.Output);
        var model = MnistModel.ByFile(file);
        var inputs = model.Preprocess(TestData.TestImages.AsSpan(0, CompareCount * 784).ToArray());

        var ours = fixture.Project.Predict(model.ClassName, inputs, CompareCount);
        var compressed = MnistModel.RunOnnxRuntime(fixture.Project.OutputFile(model.ClassName, ".compressed.onnx"), inputs, model.DynamicBatch);

        // Same int8 weights on both sides; float summation order differs, and on AVX2 the batched Dense rounds its inputs
        // to 16-bit fixed point (TestData.BatchedAgainstOnnxRuntime).
        Assert.Equal(compressed.Length, ours.Length);
        for (var i = 0; i < ours.Length; i += 10)
        {
            var scale = Math.Max(1.0, compressed.AsSpan(i, 10).ToArray().Max(v => Math.Abs(v)));
            for (var j = i; j < i + 10; j++)
            {
                Assert.True(Math.Abs(ours[j] - compressed[j]) <= TestData.BatchedAgainstOnnxRuntime * scale, $"{file} output {j}: {ours[j]} vs {compressed[j]}");
            }
        }
    }

    [Fact]
    public void RuntimeOnnxRuntime_RunsTheSameClassApiInOnnxRuntime_MatchingTheCompressedOnnx_WithTheInt8SizeEmbedded()
    {
        Assert.True(fixture.Build.Succeeded, fixture.Build.Output);
        Assert.Equal("onnxruntime", File.ReadAllText(fixture.Project.OutputFile(MnistConsumerFixture.FallbackClass, ".runtime")).Trim());
        Assert.Equal("generated", File.ReadAllText(fixture.Project.OutputFile("MlpModel", ".runtime")).Trim());
        Assert.Contains($"-> {MnistConsumerFixture.FallbackClass}: ", fixture.Build.Output);
        Assert.Contains("runtime: ONNX Runtime (Runtime=\"OnnxRuntime\"", fixture.Build.Output);

        // The embedded resource is the int8 size (plus the graph), not an fp32 .onnx.
        var embedded = new FileInfo(fixture.Project.OutputFile(MnistConsumerFixture.FallbackClass, ".weights.mbw")).Length;
        var original = new FileInfo(MnistModel.Mlp.Path).Length;
        Assert.True(embedded < original / 3, $"embedded {embedded} bytes, original {original}");

        var model = MnistModel.Mlp;
        var inputs = model.Preprocess(TestData.TestImages.AsSpan(0, CompareCount * 784).ToArray());
        var ours = fixture.Project.Predict(MnistConsumerFixture.FallbackClass, inputs, CompareCount);
        var compressed = MnistModel.RunOnnxRuntime(fixture.Project.OutputFile(MnistConsumerFixture.FallbackClass, ".compressed.onnx"), inputs, model.DynamicBatch);
        Assert.Equal(compressed.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            // Same int8 weights: DequantizeLinear in the compressed .onnx, decoded once to float32 in the fallback.
            Assert.True(Math.Abs(ours[i] - compressed[i]) <= 1e-4 * Math.Max(1, Math.Abs(compressed[i])), $"output {i}: {ours[i]} vs {compressed[i]}");
        }
    }
}
