using System.Diagnostics;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using static ModelBuild.Fuzz.Tests.SeedModels;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// Pipes, devices and directories where ModelBuild expects a file must be refused before anything reads them: a
/// FIFO blocks until someone writes and /dev/zero never ends, so reading either would hang the build.
/// </summary>
public sealed class SpecialFileTests : IDisposable
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(20);
    private readonly PipelineRunner _run = new();

    public void Dispose() => _run.Dispose();

    private static ModelProto Relu() => Model([Input("x", "N", 4)], [Output("y", "N", 4)], [], Node("Relu", ["x"], ["y"]));

    private string Fifo(string name)
    {
        var path = Path.Combine(_run.Dir, name);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>The MB error <paramref name="action"/> ends in, within the time limit (a hang fails the test).</summary>
    private static ModelBuildException FailsQuickly(Action action)
    {
        var task = Task.Factory.StartNew(() => Record.Exception(action), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(s_limit), "the build hung on a special file");
        return Assert.IsType<ModelBuildException>(task.Result);
    }

    [Fact]
    public void ModelPathThatIsAFifo_IsMB1001()
    {
        var fifo = Fifo("model.onnx");
        var e = FailsQuickly(() => _run.Run(fifo));
        Assert.Equal("MB1001", e.Code);
        Assert.Contains("named pipe", e.Message);
    }

    [Theory]
    [InlineData("/dev/zero", "character device")]
    [InlineData("/tmp", "a directory")]
    public void ModelPathThatIsADeviceOrDirectory_IsMB1001(string path, string kind)
    {
        var e = FailsQuickly(() => _run.Run(path));
        Assert.Equal("MB1001", e.Code);
        Assert.Contains(kind, e.Message);
    }

    [Fact]
    public void ExternalDataThatIsAFifo_IsMB1004()
    {
        Fifo("weights.bin");
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [ExternalWeight("weights.bin")], Node("Add", ["x", "w"], ["y"]));
        var e = FailsQuickly(() => _run.Run(model));
        Assert.Equal("MB1004", e.Code);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void ExternalDataSymlinkOutOfTheFolder_IsMB1004()
    {
        File.CreateSymbolicLink(Path.Combine(_run.Dir, "weights.bin"), "/dev/zero");
        var model = Model([Input("x", "N", 4)], [Output("y", "N", 4)], [ExternalWeight("weights.bin")], Node("Add", ["x", "w"], ["y"]));
        Assert.Equal("MB1004", FailsQuickly(() => _run.Run(model)).Code);
    }

    [Fact]
    public void ManifestDataPathThatIsAFifo_IsMB4003()
    {
        Fifo("images.idx");
        var manifest = """{ "calibration": { "images": "images.idx", "preprocessing": "raw", "count": 2 }, "passes": [ { "quantize": {} } ] }""";
        var e = FailsQuickly(() => _run.Run(Relu(), manifest));
        Assert.Equal("MB4003", e.Code);
        Assert.Contains("named pipe", e.Message);
    }

    [Fact]
    public void ManifestThatIsAFifo_IsMB2004()
    {
        var fifo = Fifo("m.compress.json");
        var e = FailsQuickly(() => Compression.Manifest.CompressionManifest.Load(fifo));
        Assert.Equal("MB2004", e.Code);
    }

    [Fact]
    public void NulCharacterInAManifestDataPath_IsMB2003WithItsPosition()
    {
        var manifest = """{ "calibration": { "images": "a\u0000b.idx", "preprocessing": "raw" }, "passes": [ { "quantize": {} } ] }""";
        var e = FailsQuickly(() => _run.Run(Relu(), manifest));
        Assert.Equal("MB2003", e.Code);
        Assert.Contains("NUL", e.Message);
        Assert.True(e.Line > 0);
    }

    private static TensorProto ExternalWeight(string location)
    {
        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(4);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        return t;
    }

    [Fact]
    public void NulCharacterInTheModelOrManifestPath_IsAnMBErrorNamingIt()
    {
        Assert.Equal("MB1001", FailsQuickly(() => _run.Run(Path.Combine(_run.Dir, "a\0b.onnx"))).Code);
        Assert.Equal("MB2004", FailsQuickly(() => Compression.Manifest.CompressionManifest.Load(Path.Combine(_run.Dir, "m\0.json"))).Code);
    }

    [Fact]
    public void MissingModelFile_IsMB1001NotAnIoError()
    {
        var e = FailsQuickly(() => _run.Run(Path.Combine(_run.Dir, "absent.onnx")));
        Assert.Equal("MB1001", e.Code);
        Assert.Contains("absent.onnx", e.Message);
    }
}
