using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ModelBuild.Tasks.Tests;

public sealed class ResolveOnnxModelsTests
{
    private static ResolveOnnxModels Create(MockEngine engine, params TaskItem[] models) => new()
    {
        BuildEngine = engine,
        Models = models,
        IntermediateDirectory = "/proj/obj/Debug/net10.0/",
        ProjectDirectory = "/proj",
        RootNamespace = "MyApp",
        Version = "1.2.3",
    };

    [Theory]
    [InlineData("mnist_cnn_fc128", "MnistCnnFc128Model")]
    [InlineData("mnist-8", "Mnist8Model")]
    [InlineData("squeezenet cifar10", "SqueezenetCifar10Model")]
    [InlineData("8bit", "_8BitModel")]
    [InlineData("resNet50", "ResNet50Model")]
    public void DefaultClassName_IsPascalCaseFileNamePlusModel(string stem, string expected) =>
        Assert.Equal(expected, ClassNames.FromFileStem(stem));

    [Fact]
    public void Defaults_AreAppliedAndPathsComputed()
    {
        var engine = new MockEngine();
        var task = Create(engine, new TaskItem("/proj/Models/mnist_cnn_fc128.onnx"));

        Assert.True(task.Execute());
        var item = Assert.Single(task.Resolved);
        Assert.Equal("MnistCnnFc128Model", item.GetMetadata("ClassName"));
        Assert.Equal("MyApp", item.GetMetadata("Namespace"));
        var outDir = Path.Combine("/proj/obj/Debug/net10.0/", "modelbuild", "MnistCnnFc128Model") + Path.DirectorySeparatorChar;
        Assert.Equal(outDir, item.GetMetadata("OutputDir"));
        Assert.Equal(outDir + "MnistCnnFc128Model.mbplan", item.GetMetadata("PlanPath"));
        Assert.Equal(outDir + "MnistCnnFc128Model.1.2.3.stamp", item.GetMetadata("StampPath"));
        Assert.Equal("ModelBuild.MyApp.MnistCnnFc128Model.weights.mbw", item.GetMetadata("ResourceName"));
        Assert.Equal(string.Empty, item.GetMetadata("ManifestFullPath"));
    }

    [Fact]
    public void ExplicitMetadata_WinsOverDefaults()
    {
        var engine = new MockEngine();
        var model = new TaskItem("/proj/m.onnx", new Dictionary<string, string>
        {
            ["ClassName"] = "Digits",
            ["Namespace"] = "Acme.Ml",
            ["Manifest"] = "Models/m.compress.json",
        });
        var task = Create(engine, model);

        Assert.True(task.Execute());
        var item = Assert.Single(task.Resolved);
        Assert.Equal("Digits", item.GetMetadata("ClassName"));
        Assert.Equal("Acme.Ml", item.GetMetadata("Namespace"));
        Assert.Equal(Path.GetFullPath("/proj/Models/m.compress.json"), item.GetMetadata("ManifestFullPath"));
        Assert.Equal("ModelBuild.Acme.Ml.Digits.weights.mbw", item.GetMetadata("ResourceName"));
    }

    [Fact]
    public void TwoModelsWithOneClassName_ReportMB0005()
    {
        var engine = new MockEngine();
        var task = Create(engine, new TaskItem("/proj/a/net.onnx"), new TaskItem("/proj/b/net.onnx"));

        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal("MB0005", error.Code);
        Assert.Equal("/proj/b/net.onnx", error.File);
        Assert.Contains("NetModel", error.Message);
    }
}

public sealed class StampTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-stamp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ITaskItem Resolve(string ns)
    {
        var item = new TaskItem(Path.Combine(_dir, "m.onnx"));
        item.SetMetadata("Namespace", ns);
        var task = new ResolveOnnxModels { BuildEngine = new MockEngine(), Models = [item], IntermediateDirectory = _dir + "/obj/", ProjectDirectory = _dir };
        Assert.True(task.Execute());
        return task.Resolved.Single();
    }

    [Fact]
    public void StampFromOtherItemSettings_IsDeleted_SoTheModelIsLookedAtAgain()
    {
        // The project file is not an input of the compression target: the stamp's text carries the item's settings.
        var first = Resolve("A");
        var stamp = first.GetMetadata("StampPath");
        Directory.CreateDirectory(Path.GetDirectoryName(stamp)!);
        File.WriteAllText(stamp, first.GetMetadata("StampText") + "\n");

        Assert.Equal(first.GetMetadata("StampText"), Resolve("A").GetMetadata("StampText"));
        Assert.True(File.Exists(stamp), "same settings: the stamp stays");

        Resolve("B");
        Assert.False(File.Exists(stamp), "another Namespace: the stamp goes");
    }
}

public sealed class UnknownMetadataTests
{
    [Fact]
    public void MisspelledMetadata_WarnsMB0007_WithTheLikelyNameAndTheKnownList()
    {
        var engine = new MockEngine();
        var item = new TaskItem("/proj/m.onnx");
        item.SetMetadata("Manfest", "m.json");
        item.SetMetadata("Visible", "false"); // IDE metadata: not ours, not a typo
        var task = new ResolveOnnxModels { BuildEngine = engine, Models = [item], IntermediateDirectory = "/proj/obj/", ProjectDirectory = "/proj" };

        Assert.True(task.Execute());

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("MB0007", warning.Code);
        Assert.Equal("/proj/m.onnx", warning.File);
        Assert.Contains("'Manfest'", warning.Message);
        Assert.Contains("Did you mean 'Manifest'?", warning.Message);
        Assert.Contains("Known metadata: ClassName, Generate, InputShapes, Manifest, Namespace, OutputDir, Runtime.", warning.Message);
    }
}

public sealed class RuntimeMetadataTests
{
    private static (ResolveOnnxModels Task, MockEngine Engine) Resolve(string? runtime, string? generate = null)
    {
        var engine = new MockEngine();
        var item = new TaskItem("/proj/m.onnx");
        if (runtime is not null)
        {
            item.SetMetadata("Runtime", runtime);
        }

        if (generate is not null)
        {
            item.SetMetadata("Generate", generate);
        }

        var task = new ResolveOnnxModels { BuildEngine = engine, Models = [item], IntermediateDirectory = "/proj/obj/", ProjectDirectory = "/proj" };
        task.Execute();
        return (task, engine);
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("generated")]
    [InlineData("OnnxRuntime")]
    public void KnownRuntime_IsAccepted_WithoutWarning(string runtime)
    {
        var (task, engine) = Resolve(runtime);

        Assert.Empty(engine.Errors);
        Assert.Empty(engine.Warnings);
        Assert.EndsWith("/MModel.runtime", Assert.Single(task.Resolved).GetMetadata("RuntimePath"), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownRuntime_ReportsMB0012_NamingTheValidValues()
    {
        var (task, engine) = Resolve("Onnx");

        var error = Assert.Single(engine.Errors);
        Assert.Equal("MB0012", error.Code);
        Assert.Equal("/proj/m.onnx", error.File);
        Assert.Contains("Runtime=\"Onnx\"", error.Message);
        Assert.Contains("Auto", error.Message);
        Assert.Contains("OnnxRuntime", error.Message);
        Assert.Empty(task.Resolved);
    }

    [Fact]
    public void RuntimeAndGenerate_ArePartOfTheStamp_SoChangingThemRecompresses()
    {
        var auto = Assert.Single(Resolve(null).Task.Resolved).GetMetadata("StampText");

        Assert.NotEqual(auto, Assert.Single(Resolve("OnnxRuntime").Task.Resolved).GetMetadata("StampText"));
        Assert.NotEqual(auto, Assert.Single(Resolve(null, "false").Task.Resolved).GetMetadata("StampText"));
        Assert.Equal(auto, Assert.Single(Resolve("auto").Task.Resolved).GetMetadata("StampText"));
    }
}
