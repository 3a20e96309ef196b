namespace ModelBuild.Graph.Onnx;

/// <summary>
/// A graph written to the temporary folder for ONNX Runtime to open by path, its large weights as external data
/// (<see cref="OnnxExporter.WriteWithExternalData"/>); both files are deleted on dispose. Used for the models the
/// compressor only runs (calibration recordings, auto mode's candidates): no 2 GiB limit, no managed copy of the
/// whole model, and ONNX Runtime maps the weights instead of copying them out of a protobuf buffer (issue 12).
/// </summary>
public sealed class TemporaryOnnxFile : IDisposable
{
    /// <summary>Initializers of at least this many bytes go to the external data file.</summary>
    public const long MinExternalBytes = 64 * 1024;

    private TemporaryOnnxFile(string path, string dataPath)
    {
        Path = path;
        DataPath = dataPath;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The external data file beside it (<c>Path + ".data"</c>).</summary>
    public string DataPath { get; }

    /// <summary>Writes <paramref name="graph"/>; <paramref name="purpose"/> goes into the file name (e.g. "recording").</summary>
    /// <exception cref="ModelBuildException">MB1003 when what stays inline exceeds protobuf's 2 GiB.</exception>
    public static TemporaryOnnxFile Write(ModelGraph graph, string purpose)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"modelbuild-{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        var file = new TemporaryOnnxFile(path, path + ".data");
        try
        {
            OnnxExporter.WriteWithExternalData(graph, path, MinExternalBytes);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Deletes both files.</summary>
    public void Dispose()
    {
        File.Delete(Path);
        File.Delete(DataPath);
    }
}
