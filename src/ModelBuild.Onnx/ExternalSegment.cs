namespace ModelBuild.Onnx;

/// <summary>
/// A tensor's bytes in an ONNX external data file, left on disk until asked for. <see cref="OnnxReader"/> has already
/// checked everything about it (a relative location inside the model's folder after following links, a regular file,
/// the range inside the file, the size the tensor's dims need, the read limits); <see cref="Read"/> checks again
/// that the file is still a regular file long enough, since it may have changed since.
/// </summary>
public sealed class ExternalSegment
{
    internal ExternalSegment(string modelFile, string path, long offset, long length)
    {
        ModelFile = modelFile;
        Path = path;
        Offset = offset;
        Length = length;
    }

    /// <summary>The model file whose tensor this is (for messages).</summary>
    public string ModelFile { get; }

    /// <summary>Absolute path of the data file.</summary>
    public string Path { get; }

    /// <summary>Byte offset of the tensor's data in <see cref="Path"/>.</summary>
    public long Offset { get; }

    /// <summary>Bytes of data (at most <see cref="Array.MaxLength"/>: the reader's MaxTensorBytes bounds it).</summary>
    public long Length { get; }

    /// <summary>Reads the bytes (ONNX <c>raw_data</c> layout) into a new array.</summary>
    /// <exception cref="ModelBuildException">MB1004 when the path is no longer a regular file; MB1005 when the file is now too short; MB0006 on an I/O error.</exception>
    public byte[] Read()
    {
        if (SafeFiles.KindOf(Path) != SafeFiles.Kind.Regular)
        {
            throw new ModelBuildException(OnnxErrors.ExternalDataRefused, ModelFile,
                $"The external data file '{Path}' is no longer a regular file (it changed while the model was being compressed). Rebuild once it is in place.");
        }

        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        try
        {
            using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            for (var done = 0; done < bytes.Length;)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(done), Offset + done);
                if (n == 0)
                {
                    throw new ModelBuildException(OnnxErrors.ExternalDataMissing, ModelFile,
                        $"The external data file '{Path}' ended at {Offset + done:N0} bytes while reading {Length:N0} bytes at offset {Offset:N0}: it was truncated while the model was being compressed.");
                }

                done += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelBuildException(OnnxErrors.IOError, ModelFile, $"The external data file '{Path}' cannot be read: {e.Message}", inner: e);
        }

        return bytes;
    }
}
