namespace ModelBuild.Onnx;

/// <summary>The <c>MB10xx</c> codes for reading and writing ONNX files (documented in README.md).</summary>
public static class OnnxErrors
{
    /// <summary>The model file does not exist.</summary>
    public const string FileNotFound = "MB1001";

    /// <summary>The bytes are not a valid ONNX protobuf (corrupt, truncated, or another format).</summary>
    public const string InvalidModel = "MB1002";

    /// <summary>A safety limit of <see cref="OnnxReadLimits"/> was exceeded.</summary>
    public const string LimitExceeded = "MB1003";

    /// <summary>An external data location was refused (absolute path, or it escapes the model folder).</summary>
    public const string ExternalDataRefused = "MB1004";

    /// <summary>An external data file is missing or shorter than the tensor needs.</summary>
    public const string ExternalDataMissing = "MB1005";

    /// <summary>A tensor's data does not match its declared dims and type.</summary>
    public const string TensorDataMismatch = "MB1006";

    /// <summary>The model uses a construct the graph IR cannot represent (e.g. a non-tensor graph input).</summary>
    public const string UnsupportedConstruct = "MB1007";

    /// <summary>An I/O error while reading or writing (shared with the rest of ModelBuild).</summary>
    public const string IOError = "MB0006";
}
