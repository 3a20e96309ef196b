namespace ModelBuild.IntegrationTests;

/// <summary>What a user sees in a terminal at the default verbosity (minimal; the terminal logger shows the same high-importance lines).</summary>
[Collection(DotNetBuildCollection.Name)]
public sealed class ProgressLogTests
{
    [Fact]
    public void DefaultVerbosity_ShowsPassLayerAndValidationProgress_TheSummaryAndTheReportPath()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Mlp.AsConsumer("mlp.compress.json"));
        project.Write("mlp.compress.json", $$"""
            {
              "passes": [ { "quantize": { "weights": "int8" } } ],
              "validation": { "images": "{{TestPaths.Mnist("t10k-images-idx3-ubyte.gz")}}", "labels": "{{TestPaths.Mnist("t10k-labels-idx1-ubyte.gz")}}",
                              "preprocessing": "unit", "count": 3000, "metric": "top1" },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);

        var build = DotNet.Run(project.Directory, "build", project.ProjectFile, "-c", TestPaths.Configuration, "-nologo");

        Assert.True(build.Succeeded, build.Output);
        Assert.Contains("ModelBuild: new or changed inputs", build.Output);
        Assert.Contains("pass 1/1: quantize(int8", build.Output);
        Assert.Contains("quantize: layer 3/3", build.Output);
        Assert.Contains("validating original: 3,000/3,000 samples", build.Output);
        Assert.Contains("validating compressed: 3,000/3,000 samples", build.Output);
        Assert.Matches(@"mnist_mlp_256\.onnx -> MlpModel: [\d.]+ KiB -> [\d.]+ KiB embedded .*top-1 .* ok", build.Output);
        Assert.Contains("report: " + project.OutputFile("MlpModel", ".report.html"), build.Output);

        // The generated predictor's input docs (IntelliSense on Predict) say how the manifest's data was prepared.
        Assert.Contains("doc=\"preprocessed as the manifest's validation data: unit = x/255\"", File.ReadAllText(project.OutputFile("MlpModel", ".mbplan")));

        // Nothing to do: nothing printed at this verbosity.
        var second = DotNet.Run(project.Directory, "build", project.ProjectFile, "-c", TestPaths.Configuration, "-nologo");
        Assert.True(second.Succeeded, second.Output);
        Assert.DoesNotContain("ModelBuild:", second.Output);
    }
}
