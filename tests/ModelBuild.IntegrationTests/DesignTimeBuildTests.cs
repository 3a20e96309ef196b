namespace ModelBuild.IntegrationTests;

/// <summary>What IDEs run (Roslyn workspaces, C# Dev Kit, Rider): <c>-t:Compile;CoreCompile -p:DesignTimeBuild=true</c>.</summary>
[Collection(DotNetBuildCollection.Name)]
public sealed class DesignTimeBuildTests
{
    [Fact]
    public void DesignTimeBuild_AfterABuild_GeneratesThePredictor_WithoutCompressing()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer());
        var build = project.Build();
        Assert.True(build.Succeeded, build.Output);

        // A file the IDE compiles that uses the generated class: it compiles only if the generator saw the plan.
        project.Write("UsesModel.cs", "namespace Consumer; internal static class UsesModel { public const int N = Consumer.Models.ZooModel.InputElementsPerSample; }");
        var generated = Path.Combine(project.IntermediateDir, "generated");
        foreach (var file in Directory.GetFiles(generated, "*.g.cs", SearchOption.AllDirectories))
        {
            File.Delete(file); // the folders stay: the compiler writes into them but only a full build creates them
        }

        var designTime = DotNet.Run(project.Directory, "msbuild", project.ProjectFile, "-t:Compile;CoreCompile",
            "-p:DesignTimeBuild=true", $"-p:Configuration={TestPaths.Configuration}", "-v:n", "-nologo");

        Assert.True(designTime.Succeeded, designTime.Output);
        Assert.DoesNotContain("ModelBuild: new or changed inputs", designTime.Output);
        Assert.Single(Directory.GetFiles(generated, "ZooModel*.g.cs", SearchOption.AllDirectories));
    }

    [Fact]
    public void DesignTimeBuild_BeforeAnyBuild_NeitherCompressesNorFailsInModelBuild()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer());

        var designTime = DotNet.Run(project.Directory, "msbuild", project.ProjectFile, "-restore", "-t:Compile;CoreCompile",
            "-p:DesignTimeBuild=true", $"-p:Configuration={TestPaths.Configuration}", "-v:n", "-nologo");

        // Program.cs uses the class, which does not exist until a real build compresses the model: the compiler
        // says so (CS0234), but ModelBuild itself neither runs the worker nor reports an MB error.
        Assert.DoesNotContain("ModelBuild: new or changed inputs", designTime.Output);
        Assert.DoesNotContain("error MB", designTime.Output);
        Assert.False(File.Exists(project.OutputFile("ZooModel", ".mbplan")));
    }
}
