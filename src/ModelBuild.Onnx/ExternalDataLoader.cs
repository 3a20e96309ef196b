using System.Globalization;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Onnx;

/// <summary>
/// Loads ONNX external tensor data into <c>raw_data</c>. A location must be a relative path that stays inside
/// the model's folder after normalisation and after following symbolic links; anything else is refused
/// (MB1004), because a model file must not be able to read arbitrary files of the machine that builds it.
/// With <see cref="Deferred"/> set, checked segments are recorded there instead of loaded (the caller reads them
/// one tensor at a time, so a model larger than memory can be streamed).
/// </summary>
internal sealed class ExternalDataLoader(string file, string? baseDirectory, OnnxReadLimits limits)
{
    private long _loadedBytes;

    /// <summary>When set, <see cref="Defer"/> records segments here (by reference: protobuf messages compare by value).</summary>
    public Dictionary<TensorProto, ExternalSegment>? Deferred { get; init; }

    public void Load(TensorProto tensor, string where)
    {
        var segment = Locate(tensor, where);
        var bytes = segment.Read();
        tensor.RawData = ByteString.CopyFrom(bytes);
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
    }

    /// <summary>Checks the tensor's external data like <see cref="Load"/> and records it in <see cref="Deferred"/> unread.</summary>
    public ExternalSegment Defer(TensorProto tensor, string where)
    {
        var segment = Locate(tensor, where);
        Deferred![tensor] = segment;
        return segment;
    }

    private ExternalSegment Locate(TensorProto tensor, string where)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNumber(entry.Value, "offset", where); break;
                case "length": length = ParseNumber(entry.Value, "length", where); break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw Refused(where, "has data_location EXTERNAL but no 'location' entry");
        }

        var path = Resolve(location, where);
        if (SafeFiles.KindOf(path) is not (SafeFiles.Kind.Regular or SafeFiles.Kind.Missing))
        {
            throw Refused(where, $"names the external data path '{location}', which is not a regular file (a directory, pipe or device)");
        }

        var fileLength = File.Exists(path) ? new FileInfo(path).Length : -1;
        if (fileLength < 0)
        {
            throw new ModelBuildException(OnnxErrors.ExternalDataMissing, file,
                $"Tensor {where} stores its data in '{location}', but '{path}' does not exist. Copy the external data file next to the model.");
        }

        var size = length ?? fileLength - offset;
        if (offset > fileLength || size < 0 || size > fileLength - offset)
        {
            throw new ModelBuildException(OnnxErrors.ExternalDataMissing, file,
                $"Tensor {where} reads {size:N0} bytes at offset {offset:N0} of '{path}', but that file has only {fileLength:N0} bytes. The external data file is truncated or belongs to another model version.");
        }

        if (size > limits.MaxTensorBytes || _loadedBytes + size > limits.MaxExternalDataBytes)
        {
            throw new ModelBuildException(OnnxErrors.LimitExceeded, file,
                $"Tensor {where} would load {size:N0} bytes of external data ({_loadedBytes + size:N0} in total), over the limit (MaxTensorBytes {limits.MaxTensorBytes:N0}, MaxExternalDataBytes {limits.MaxExternalDataBytes:N0}).");
        }

        _loadedBytes += size;
        return new ExternalSegment(file, path, offset, size);
    }

    private long ParseNumber(string text, string key, string where) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ModelBuildException(OnnxErrors.ExternalDataMissing, file, $"Tensor {where} has external data {key} '{text}', which is not a non-negative integer. The model file is corrupt.");

    private string Resolve(string location, string where)
    {
        if (baseDirectory is null)
        {
            throw Refused(where, $"stores its data in external file '{location}', but the model was read from memory without a base directory. Read it from its file path instead");
        }

        var normalised = location.Replace('\\', '/');
        if (normalised.StartsWith('/') || Path.IsPathRooted(location) || (normalised.Length >= 2 && normalised[1] == ':') || normalised.Contains('\0'))
        {
            throw Refused(where, $"names the absolute external data path '{location}'");
        }

        var root = RealPath(baseDirectory);
        var candidate = Path.GetFullPath(Path.Combine(baseDirectory, normalised));
        if (!IsInside(candidate, Path.GetFullPath(baseDirectory)) || !IsInside(RealPath(candidate), root))
        {
            throw Refused(where, $"names the external data path '{location}', which leaves the model folder '{baseDirectory}'");
        }

        return candidate;
    }

    private static bool IsInside(string path, string directory)
    {
        var prefix = Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>Follows symbolic links component by component, so a link anywhere on the path is seen.</summary>
    private static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        foreach (var part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            current = info.Exists && info.LinkTarget is not null
                ? Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next)
                : next;
        }

        return current;
    }

    private ModelBuildException Refused(string where, string what) =>
        new(OnnxErrors.ExternalDataRefused, file,
            $"Tensor {where} {what}. External data must be a relative path inside the model's folder; move the data file next to the model and set its location to the bare file name.");
}
