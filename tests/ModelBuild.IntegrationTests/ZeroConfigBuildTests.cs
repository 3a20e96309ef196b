namespace ModelBuild.IntegrationTests;

[Collection(DotNetBuildCollection.Name)]
public sealed class ZeroConfigBuildTests
{
    [Fact]
    public void ModelWithoutManifest_BuildsCleanWithWarningsAsErrors()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Mlp.AsConsumer());

        var build = project.Build("-warnaserror");

        Assert.True(build.Succeeded, build.Output);
        Assert.Contains("ok on 64 synthetic inputs", build.Output);
        Assert.DoesNotContain("MB5002", build.Output);
    }
}
