using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Onnx;

/// <summary>Writes ONNX models. Output is deterministic: the same model always gives the same bytes.</summary>
public static class OnnxWriter
{
    /// <summary>Serializes <paramref name="model"/> (protobuf writes fields in a fixed order and this schema has no maps).</summary>
    public static byte[] Write(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckSize(model);
        return model.ToByteArray();
    }

    /// <summary>
    /// Writes the bytes <see cref="Write(ModelProto)"/> returns to <paramref name="output"/> without an array of the
    /// whole model (protobuf serialises field by field): a compressed multi-gigabyte model goes to disk as it is
    /// encoded (issue 12).
    /// </summary>
    /// <exception cref="ModelBuildException">MB1003 when the model exceeds protobuf's 2 GiB.</exception>
    public static void WriteTo(ModelProto model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        CheckSize(model);
        model.WriteTo(output);
    }

    private static void CheckSize(ModelProto model)
    {
        var size = model.CalculateSize();
        if (size < 0 || size == int.MaxValue)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, null,
                "The model is larger than the 2 GiB a single ONNX protobuf can hold. Reduce the weights (e.g. quantise) before writing.");
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file in the same folder that is
    /// renamed over the target, so readers never see a half-written model.
    /// </summary>
    public static void WriteFile(ModelProto model, string path) => WriteBytesAtomically(Write(model), path);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> via a temporary file and a rename.</summary>
    public static void WriteBytesAtomically(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new ModelBuildException(OnnxErrors.IOError, path, $"The model could not be written to '{fullPath}': {e.Message}. Check that the folder exists and is writable.", inner: e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder itself may be missing or read-only; then there is no temporary file to clean up.
        }
    }
}
