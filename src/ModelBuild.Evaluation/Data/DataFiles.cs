using System.IO.Compression;

namespace ModelBuild.Evaluation.Data;

/// <summary>File access shared by the readers: consistent MB4002/MB4003 errors and transparent gzip.</summary>
internal static class DataFiles
{
    // Decompressed data beyond this is refused, so a tiny .gz cannot exhaust memory.
    private const long MaxDecompressedBytes = 1L << 30;

    public static byte[] ReadAllBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFiles.RequireRegularOrMissing(path, EvaluationErrors.DataFileMissing, "data file");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            throw new ModelBuildException(EvaluationErrors.DataFileMissing, path,
                "The data file does not exist. Check the path (relative paths are resolved from the dataset spec's folder).", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelBuildException(EvaluationErrors.IoError, path, $"Cannot read the data file: {e.Message}", inner: e);
        }
    }

    /// <summary>The file's bytes, gunzipped when it starts with the gzip magic 1f 8b.</summary>
    public static byte[] ReadMaybeGzip(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
        {
            return bytes;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (output.Length + read > MaxDecompressedBytes)
                {
                    throw Bad(path, $"it decompresses to more than {MaxDecompressedBytes} bytes");
                }

                output.Write(buffer, 0, read);
            }

            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new ModelBuildException(EvaluationErrors.BadDataFile, path,
                $"The gzip stream is corrupt or truncated ({e.Message}). Download or copy the file again.", inner: e);
        }
    }

    public static ModelBuildException Bad(string path, string reason) =>
        new(EvaluationErrors.BadDataFile, path, $"Bad data file: {reason}. Check that the file is complete and in the expected format.");
}
