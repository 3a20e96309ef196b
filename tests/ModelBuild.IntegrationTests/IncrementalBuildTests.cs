namespace ModelBuild.IntegrationTests;

[Collection(DotNetBuildCollection.Name)]
public sealed class IncrementalBuildTests
{
    private const string CompressingMarker = "ModelBuild: compressing";

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

        var second = project.Build();
        Assert.True(second.Succeeded, second.Output);
        Assert.DoesNotContain(CompressingMarker, second.Output);

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
}
