using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Onnx;

/// <summary>
/// Reads ONNX model files defensively: size and nesting limits while parsing, then every tensor is checked
/// against its dims and external data is loaded into <c>raw_data</c>, so callers only see sane in-memory tensors.
/// </summary>
/// <remarks>All failures are <see cref="ModelBuildException"/> with a code from <see cref="OnnxErrors"/>.</remarks>
public static class OnnxReader
{
    /// <summary>Reads and validates the model at <paramref name="path"/>; external data is resolved next to it.</summary>
    public static ModelProto Read(string path, OnnxReadLimits? limits = null) => Read(path, limits, deferred: null);

    /// <summary>
    /// Reads and validates the model at <paramref name="path"/> like <see cref="Read(string, OnnxReadLimits?)"/>, but
    /// leaves the external data of the main graph's initializers on disk: each such initializer keeps
    /// <c>data_location = EXTERNAL</c> and its checked location is returned, to be read one tensor at a time with
    /// <see cref="ExternalSegment.Read"/>. Memory then holds the graph, not the weights.
    /// </summary>
    /// <returns>The model and, per deferred initializer (by reference), where its bytes are.</returns>
    public static (ModelProto Model, IReadOnlyDictionary<TensorProto, ExternalSegment> External) ReadDeferringExternalData(string path, OnnxReadLimits? limits = null)
    {
        var deferred = new Dictionary<TensorProto, ExternalSegment>(ReferenceEqualityComparer.Instance);
        return (Read(path, limits, deferred), deferred);
    }

    private static ModelProto Read(string path, OnnxReadLimits? limits, Dictionary<TensorProto, ExternalSegment>? deferred)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= OnnxReadLimits.Default;
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ModelBuildException(OnnxErrors.FileNotFound, path, "The ONNX model path is empty or contains a NUL character; no file has such a name.");
        }

        var fullPath = Path.GetFullPath(path);
        SafeFiles.RequireRegularOrMissing(fullPath, OnnxErrors.FileNotFound, "ONNX model file");
        if (!File.Exists(fullPath))
        {
            throw new ModelBuildException(OnnxErrors.FileNotFound, path,
                $"The ONNX model file '{fullPath}' does not exist. Check the path (it is resolved relative to '{Environment.CurrentDirectory}').");
        }

        using var stream = OpenForRead(path, fullPath);
        if (stream.Length > limits.MaxFileBytes)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, path,
                $"The model file is {stream.Length:N0} bytes, over the limit of {limits.MaxFileBytes:N0} bytes (MaxFileBytes). " +
                "Store large weights as ONNX external data, or raise the limit.");
        }

        var model = Parse(stream, path, limits);
        Validate(model, path, Path.GetDirectoryName(fullPath), limits, deferred);
        return model;
    }

    /// <summary>Reads a model held in memory. <paramref name="baseDirectory"/> resolves external data (null: refuse it).</summary>
    public static ModelProto Read(byte[] bytes, string? baseDirectory, OnnxReadLimits? limits = null, string? fileNameForMessages = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        limits ??= OnnxReadLimits.Default;
        var file = fileNameForMessages ?? "<memory>";
        if (bytes.LongLength > limits.MaxFileBytes)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"The model is {bytes.LongLength:N0} bytes, over the limit of {limits.MaxFileBytes:N0} bytes (MaxFileBytes).");
        }

        using var stream = new MemoryStream(bytes, writable: false);
        var model = Parse(stream, file, limits);
        Validate(model, file, baseDirectory is null ? null : Path.GetFullPath(baseDirectory), limits);
        return model;
    }

    /// <inheritdoc cref="Read(byte[], string?, OnnxReadLimits?, string?)"/>
    public static ModelProto Read(ReadOnlySpan<byte> bytes, string? baseDirectory, OnnxReadLimits? limits = null, string? fileNameForMessages = null) =>
        Read(bytes.ToArray(), baseDirectory, limits, fileNameForMessages);

    private static FileStream OpenForRead(string path, string fullPath)
    {
        try
        {
            return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelBuildException(OnnxErrors.FileNotFound, path, $"The ONNX model file '{fullPath}' cannot be opened: {e.Message}", inner: e);
        }
    }

    private static ModelProto Parse(Stream stream, string file, OnnxReadLimits limits)
    {
        var sizeLimit = (int)Math.Min(int.MaxValue, Math.Max(stream.Length, 1));
        var model = new ModelProto();
        try
        {
            using var input = CodedInputStream.CreateWithLimits(stream, sizeLimit, limits.MaxRecursionDepth);
            model.MergeFrom(input);
        }
        catch (InvalidProtocolBufferException e) when (e.Message.Contains("nesting", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"The model nests messages deeper than the limit of {limits.MaxRecursionDepth} (MaxRecursionDepth). " +
                "The file is probably corrupt or hostile; if it is genuine, raise the limit.", inner: e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(file, e.Message, e);
        }

        if (model.Graph is null || model.IrVersion <= 0)
        {
            throw Corrupt(file, model.Graph is null ? "it has no graph" : $"its IR version is {model.IrVersion}", null);
        }

        return model;
    }

    private static ModelBuildException Corrupt(string file, string reason, Exception? inner) =>
        new(OnnxErrors.InvalidModel, file,
            $"The file is not a valid ONNX model ({reason}). It may be truncated or not an ONNX file; re-export it (e.g. torch.onnx.export) or check it with onnx.checker.check_model.",
            inner: inner);

    /// <summary>
    /// Checks every tensor of a model built or parsed elsewhere and loads its external data (relative to
    /// <paramref name="baseDirectory"/>; null refuses external data). Idempotent.
    /// </summary>
    public static void ValidateAndLoadExternalData(ModelProto model, string? baseDirectory, OnnxReadLimits? limits = null, string? fileNameForMessages = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = fileNameForMessages ?? "<memory>";
        if (model.Graph is null)
        {
            throw Corrupt(file, "it has no graph", null);
        }

        Validate(model, file, baseDirectory is null ? null : Path.GetFullPath(baseDirectory), limits ?? OnnxReadLimits.Default);
    }

    private static void Validate(ModelProto model, string file, string? baseDirectory, OnnxReadLimits limits, Dictionary<TensorProto, ExternalSegment>? deferred = null)
    {
        var external = new ExternalDataLoader(file, baseDirectory, limits) { Deferred = deferred };
        var checker = new TensorChecker(file, limits, external);
        checker.CheckGraph(model.Graph, deferInitializers: deferred is not null);
    }
}
