using ModelBuild.Graph.Onnx;

namespace ModelBuild.Onnx.Tests;

public sealed class OnnxWriterTests
{
    [Fact]
    public void WriteFile_ReplacesTheTarget_AndLeavesNoTemporaryFiles()
    {
        using var dir = new TempDir();
        var path = dir.File("model.onnx");
        File.WriteAllText(path, "old");
        var graph = OnnxImporter.Import(TestPaths.Model("mnist-8.onnx"));
        OnnxExporter.WriteFile(graph, path);

        Assert.Equal(OnnxExporter.ToBytes(graph), File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteFile_IntoUnwritableLocation_IsMB0006_AndWritesNothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("not-a-folder"), "x");
        var path = Path.Combine(dir.File("not-a-folder"), "model.onnx");
        var model = OnnxReader.Read(TestPaths.Model("mnist-8.onnx"));
        Assert.Equal("MB0006", Assert.Throws<ModelBuildException>(() => OnnxWriter.WriteFile(model, path)).Code);
        Assert.Equal(["not-a-folder"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
