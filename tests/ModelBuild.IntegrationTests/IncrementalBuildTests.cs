namespace ModelBuild.IntegrationTests;

[Collection(DotNetBuildCollection.Name)]
public sealed class IncrementalBuildTests
{
    private const string CompressingMarker = "ModelBuild: new or changed inputs";

    [Fact]
    public void SecondBuild_SkipsCompression_AndChangingTheManifestRerunsIt()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer("zoo.compress.json"));
        project.Write("zoo.compress.json", """{"passes":[{"quantize":{"weights":"int8","granularity":"per-channel","symmetric":true}}]}""");

        var first = project.Build();
        Assert.True(first.Succeeded, first.Output);
        Assert.Contains(CompressingMarker, first.Output);
        var plan = project.OutputFile("ZooModel", ".mbplan");
        var planTime = File.GetLastWriteTimeUtc(plan);

        // The project file is not an input: an edit that leaves the item alone (a new property) compresses nothing.
        Thread.Sleep(1100);
        project.Write("Consumer.csproj", File.ReadAllText(project.ProjectFile).Replace("</OutputType>", "</OutputType>\n    <Description>edited</Description>", StringComparison.Ordinal));
        var second = project.Build();
        Assert.True(second.Succeeded, second.Output);
        Assert.Contains("<Description>edited</Description>", File.ReadAllText(project.ProjectFile));
        Assert.DoesNotContain(CompressingMarker, second.Output);
        Assert.Contains("Skipping target \"_ModelBuild_Compress\" because all output files are up-to-date", second.Output);

        // Edit the manifest without changing its meaning: compression re-runs, the plan's bytes do not change, so
        // its timestamp does not either (and the generator and compiler stay cached).
        Thread.Sleep(1100);
        project.Write("zoo.compress.json", """{"description":"same passes","passes":[{"quantize":{"weights":"int8","granularity":"per-channel","symmetric":true}}]}""");
        var third = project.Build();
        Assert.True(third.Succeeded, third.Output);
        Assert.Contains(CompressingMarker, third.Output);
        Assert.Equal(planTime, File.GetLastWriteTimeUtc(plan));

        // A manifest that changes the model rewrites the plan.
        Thread.Sleep(1100);
        project.Write("zoo.compress.json", """{"passes":[{"quantize":{"weights":"int8","granularity":"per-tensor","symmetric":false}}]}""");
        var fourth = project.Build();
        Assert.True(fourth.Succeeded, fourth.Output);
        Assert.Contains("per-tensor", File.ReadAllText(plan));
    }

    [Fact]
    public void AccuracyGate_RunsOnlyWhenSomethingItReadChanged_IncludingTheValidationData()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer("zoo.compress.json"));
        File.Copy(TestPaths.Mnist("t10k-images-idx3-ubyte.gz"), Path.Combine(project.Directory, "images.gz"));
        File.Copy(TestPaths.Mnist("t10k-labels-idx1-ubyte.gz"), Path.Combine(project.Directory, "labels.gz"));
        project.Write("zoo.compress.json", """
            {
              "passes": [ { "quantize": {} } ],
              "validation": { "images": "images.gz", "labels": "labels.gz", "preprocessing": "unit", "count": 300, "metric": "top1" },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);

        var first = project.Build();
        Assert.True(first.Succeeded, first.Output);
        Assert.Contains("validating on 300 samples", first.Output);
        Assert.Contains("(tolerance a drop of at most 1 pp) ok", first.Output);

        // Nothing changed, or only C# code: no compression, no evaluation.
        project.Write("Extra.cs", "namespace Consumer; internal static class Extra { }");
        var second = project.Build();
        Assert.True(second.Succeeded, second.Output);
        Assert.DoesNotContain("validating on", second.Output);
        Assert.DoesNotContain(CompressingMarker, second.Output);

        // The validation data is an input. Touched but unchanged: the worker runs, sees the same content hash and
        // keeps the previous outputs and verdict; changed: compression and the gate run again.
        Thread.Sleep(1100);
        File.SetLastWriteTimeUtc(Path.Combine(project.Directory, "labels.gz"), DateTime.UtcNow);
        var third = project.Build();
        Assert.True(third.Succeeded, third.Output);
        Assert.Contains("inputs unchanged (same content hash)", third.Output);
        Assert.DoesNotContain("validating on", third.Output);

        Thread.Sleep(1100);
        File.Copy(TestPaths.Mnist("train-2k-labels-idx1-ubyte.gz"), Path.Combine(project.Directory, "labels.gz"), overwrite: true);
        File.SetLastWriteTimeUtc(Path.Combine(project.Directory, "labels.gz"), DateTime.UtcNow); // File.Copy keeps the source's (old) time
        var fourth = project.Build();
        Assert.Contains("validating on 300 samples", fourth.Output);
    }

    [Fact]
    public void ImpossibleTolerance_FailsTheBuildWithMB5001()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer("zoo.compress.json"));
        project.Write("zoo.compress.json", $$"""
            {
              "passes": [ { "quantize": { "granularity": "per-tensor" } } ],
              "validation": { "images": "{{TestPaths.Mnist("t10k-images-idx3-ubyte.gz")}}", "preprocessing": "unit", "count": 200, "metric": "sqnr" },
              "tolerance": { "minSqnrDb": 120 }
            }
            """);

        var build = project.Build();

        Assert.False(build.Succeeded);
        Assert.Matches(@"zoo\.compress\.json ?: error MB5001: the compressed model misses the tolerance: SQNR dB inf dB -> [\d.]+ dB on 200 validation samples", build.Output);
        Assert.False(File.Exists(project.OutputFile("ZooModel", ".mbplan")), "a failed gate must not leave outputs behind");
    }
}
