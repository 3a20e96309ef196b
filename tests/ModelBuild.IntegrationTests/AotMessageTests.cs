namespace ModelBuild.IntegrationTests;

/// <summary>The publish-time hint for NativeAOT (runs the check target alone: an AOT publish takes minutes).</summary>
[Collection(DotNetBuildCollection.Name)]
public sealed class AotMessageTests
{
    [Theory]
    [InlineData("", true)]
    [InlineData("x86-64-v2", true)]
    [InlineData("x86-64-v3", false)]
    [InlineData("avx2", false)]
    [InlineData("native", false)]
    public void PublishAot_WithoutAvx2_SuggestsX8664V3(string instructionSet, bool expectMessage)
    {
        using var project = ConsumerProject.InRepo(MnistModel.Mlp.AsConsumer());

        var run = DotNet.Run(project.Directory, "msbuild", project.ProjectFile, "-t:_ModelBuild_CheckAotInstructionSet",
            "-p:PublishAot=true", "-p:RuntimeIdentifier=linux-x64", $"-p:IlcInstructionSet={instructionSet}", "-nologo");

        Assert.True(run.Succeeded, run.Output);
        Assert.Equal(expectMessage, run.Output.Contains("-p:IlcInstructionSet=x86-64-v3", StringComparison.Ordinal));
    }
}
