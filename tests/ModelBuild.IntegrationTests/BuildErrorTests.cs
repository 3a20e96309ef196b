using System.Text.RegularExpressions;

namespace ModelBuild.IntegrationTests;

[Collection(DotNetBuildCollection.Name)]
public sealed class BuildErrorTests
{
    [Fact]
    public void UnknownManifestKey_FailsWithMB2002_AtFileLineAndColumn()
    {
        using var project = ConsumerProject.InRepo(MnistModel.Zoo.AsConsumer("bad.compress.json"));
        project.Write("bad.compress.json", "{\n  \"passes\": [\n    { \"quantize\": { \"wieghts\": \"int8\" } }\n  ]\n}\n");

        var build = project.Build();

        Assert.False(build.Succeeded);
        var manifest = Path.Combine(project.Directory, "bad.compress.json");
        Assert.Matches(@$"{Regex.Escape(manifest)}\(3,\d+\): error MB2002: .*wieghts", build.Output);
        Assert.False(Directory.Exists(Path.GetDirectoryName(project.OutputFile("ZooModel", ".mbplan"))) &&
                     File.Exists(project.OutputFile("ZooModel", ".mbplan")), "nothing may be written on failure");
    }

    [Fact]
    public void MissingModel_FailsWithMB1001()
    {
        var missing = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid() + ".onnx");
        using var project = ConsumerProject.InRepo(new ConsumerModel(missing, "GhostModel"));
        // The generated class does not exist, so the program must not mention it; only the build error matters.
        project.Write("Program.cs", "return 0;\n");

        var build = project.Build();

        Assert.False(build.Succeeded);
        Assert.Matches(@$"{Regex.Escape(missing)}\s*:\s*error MB1001: ", build.Output);
    }

    [Fact]
    public void UnsupportedOperator_UnderAuto_WithoutTheFallbackPackage_FailsWithMB0013_NamingThePackageAndTheNodes()
    {
        using var project = ConsumerProject.InRepo(new ConsumerModel("unsupported.onnx", "OddModel"));
        File.WriteAllBytes(Path.Combine(project.Directory, "unsupported.onnx"), UnsupportedModel.Create());
        project.Write("Program.cs", "return 0;\n");

        var build = project.Build();

        Assert.False(build.Succeeded);
        Assert.Matches(@"unsupported\.onnx\s*:\s*error MB0013: unsupported\.onnx runs in ONNX Runtime .*ModelBuild\.OnnxRuntime", build.Output);
        Assert.DoesNotContain("error MB3003", build.Output);
        Assert.DoesNotContain("error CS", build.Output); // stopped before C# meets a class it cannot compile
        // The log says why the model runs in ONNX Runtime: the nodes the generated code does not cover.
        Assert.Contains("runtime: ONNX Runtime (needs the ModelBuild.OnnxRuntime package), because the generated code does not cover", build.Output);
        Assert.Contains("LpPool 'my_lppool'", build.Output);
        Assert.Contains("GlobalLpPool 'my_globallppool'", build.Output);
    }

    [Fact]
    public void FourUnbuildableModels_AreAllReportedInOneBuild_ThenMB0008StopsBeforeCompiling()
    {
        string[] names = ["first", "second", "third", "fourth"];
        using var project = ConsumerProject.InRepo(names.Select(n => new ConsumerModel(n + ".onnx", char.ToUpperInvariant(n[0]) + n[1..] + "Model", Runtime: "Generated")).ToArray());
        foreach (var name in names)
        {
            File.WriteAllBytes(Path.Combine(project.Directory, name + ".onnx"), UnsupportedModel.Create());
        }

        project.Write("Program.cs", "return 0;\n");

        var build = project.Build();

        Assert.False(build.Succeeded);
        foreach (var name in names)
        {
            Assert.Matches(@$"{name}\.onnx\s*:\s*error MB3003: .*LpPool 'my_lppool'", build.Output);
        }

        Assert.Contains("error MB0008: 4 of 4 ONNX model(s) could not be compressed", build.Output);
        Assert.DoesNotContain("error CS", build.Output); // stopped before the C# compiler could complain about missing classes
    }
}
