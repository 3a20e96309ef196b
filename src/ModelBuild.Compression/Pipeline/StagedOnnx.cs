namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// The compressed .onnx written to staging files (<see cref="CompressedOnnx.Stage"/>): the model file the checks open,
/// and each staged file with the output it becomes (the model, and its external data file when it has one).
/// </summary>
/// <param name="ModelPath">The staged model file (ONNX Runtime opens it; its external data, if any, lies beside it).</param>
/// <param name="Files">(final output, staged file) pairs for <see cref="OutputFiles.WriteAll(IReadOnlyList{ValueTuple{string, byte[]}}, IReadOnlyList{ValueTuple{string, string}})"/>.</param>
internal sealed record StagedOnnx(string ModelPath, IReadOnlyList<(string Path, string Staged)> Files)
{
    /// <summary>Whether the weights are in an external data file.</summary>
    public bool HasExternalData => Files.Count > 1;

    /// <summary>The staging folder of a compressed .onnx written with external data, for this process.</summary>
    public static string ExternalFolder(string path) => OutputFiles.StagingPath(path) + ".d";

    /// <summary>Deletes whatever a run left staged for <paramref name="path"/> (both forms).</summary>
    public static void Discard(string path)
    {
        OutputFiles.Discard(OutputFiles.StagingPath(path));
        try
        {
            if (Directory.Exists(ExternalFolder(path)))
            {
                Directory.Delete(ExternalFolder(path), recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was moved into place, which is what matters.
        }
    }

    /// <summary>
    /// After the outputs moved into place: removes the emptied staging folder and, when this model has no external
    /// data, a data file an earlier (larger) build of the same class left beside <paramref name="path"/>.
    /// </summary>
    public void Finish(string path)
    {
        Discard(path);
        if (!HasExternalData && File.Exists(path + ".data"))
        {
            File.Delete(path + ".data");
        }
    }
}
