namespace ModelBuild.IntegrationTests;

/// <summary>
/// A model stored in the compact formats (2–6-bit codes, per-group scales) through the whole build: the generated
/// predictor must compute what ONNX Runtime computes on the compressed .onnx.
/// </summary>
[Collection(DotNetBuildCollection.Name)]
public sealed class CompactFormatBuildTests
{
    [Fact]
    public void AutoBudgetedMlp_PredictorMatchesTheCompressedOnnx_AndFitsTheBudget()
    {
        var model = MnistModel.Mlp;
        using var project = ConsumerProject.InRepo(model.AsConsumer("mlp.compress.json"));
        project.Write("mlp.compress.json", $$"""
            {
              "mode": "auto",
              "budget": { "maxBytes": 100000 },
              "candidates": ["int8", "int6", "int4", "int3", "int3-g64", "int2-g64", "int2-gptq"],
              "calibration": { "images": "{{TestPaths.Mnist("train-2k-images-idx3-ubyte.gz")}}", "preprocessing": "unit", "count": 500 }
            }
            """);

        var build = project.Build();
        Assert.True(build.Succeeded, build.Output);
        Assert.InRange(new FileInfo(project.OutputFile(model.ClassName, ".weights.mbw")).Length, 1, 100_000); // the budget bounds the whole blob

        const int count = 500;
        var inputs = model.Preprocess(TestData.TestImages.AsSpan(0, count * 784).ToArray());
        var ours = project.Predict(model.ClassName, inputs, count);
        var compressed = MnistModel.RunOnnxRuntime(project.OutputFile(model.ClassName, ".compressed.onnx"), inputs, model.DynamicBatch);
        // 500 rows: the batched Dense of 4-bit codes rounds its inputs to 16-bit fixed point (TestData.BatchedAgainstOnnxRuntime).
        for (var i = 0; i < ours.Length; i++)
        {
            var scale = Math.Max(1.0, Math.Abs(compressed[i]));
            Assert.True(Math.Abs(ours[i] - compressed[i]) <= TestData.BatchedAgainstOnnxRuntime * scale, $"output {i}: {ours[i]} vs {compressed[i]}");
        }

        var agreement = MnistModel.Agreement(ours, MnistModel.RunOnnxRuntime(model.Path, inputs, model.DynamicBatch));
        Assert.True(agreement >= 0.95, $"agreement with the fp32 model {agreement:P1}");
    }
}
