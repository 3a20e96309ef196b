namespace ModelBuild.Onnx;

/// <summary>
/// Bounds that <see cref="OnnxReader"/> enforces so that a hostile or corrupt file fails fast with
/// <c>MB1003</c> instead of exhausting memory or the stack.
/// </summary>
public sealed record OnnxReadLimits
{
    public static OnnxReadLimits Default { get; } = new();

    /// <summary>Largest model file accepted (protobuf itself cannot parse more than 2 GiB).</summary>
    public long MaxFileBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Deepest message nesting (graphs inside attributes inside nodes ...).</summary>
    public int MaxRecursionDepth { get; init; } = 64;

    /// <summary>Highest tensor rank.</summary>
    public int MaxRank { get; init; } = 16;

    /// <summary>Most elements in one tensor (the product of its dims).</summary>
    public long MaxTensorElements { get; init; } = 1L << 31;

    /// <summary>Most bytes in one tensor; a .NET array cannot hold more than <see cref="Array.MaxLength"/>.</summary>
    public long MaxTensorBytes { get; init; } = Array.MaxLength;

    /// <summary>Most bytes loaded from external data files in total.</summary>
    public long MaxExternalDataBytes { get; init; } = 8L * 1024 * 1024 * 1024;
}
