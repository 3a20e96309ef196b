namespace ModelBuild.Tasks.Tests;

public sealed class CompressOnnxModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-task-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CompressOnnxModel Create(MockEngine engine, string model, string? manifest = null, string className = "NetModel") => new()
    {
        BuildEngine = engine,
        Model = model,
        Manifest = manifest,
        ClassName = className,
        Namespace = "App",
        OutputDirectory = Path.Combine(_dir, "out"),
        ResourceName = "ModelBuild.App.NetModel.weights.mbw",
        WorkerAssembly = Path.Combine(_dir, "worker.dll"),
    };

    [Fact]
    public void MissingModel_ReportsMB1001_WithFileAndFix()
    {
        File.WriteAllText(Path.Combine(_dir, "worker.dll"), "");
        var engine = new MockEngine();
        var model = Path.Combine(_dir, "missing.onnx");

        Assert.False(Create(engine, model).Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal("MB1001", error.Code);
        Assert.Equal(model, error.File);
        Assert.Contains("Include path", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void AllParameterProblems_AreReportedAtOnce()
    {
        var engine = new MockEngine();
        var manifest = Path.Combine(_dir, "nope.json");

        Assert.False(Create(engine, Path.Combine(_dir, "missing.onnx"), manifest, "1bad").Execute());

        Assert.Equal(new[] { "MB1001", "MB2004", "MB0002", "MB0003" }, engine.Errors.Select(e => e.Code));
        Assert.Equal(manifest, engine.Errors[1].File);
    }
}
