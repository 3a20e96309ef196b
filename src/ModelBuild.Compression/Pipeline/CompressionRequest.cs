namespace ModelBuild.Compression.Pipeline;

/// <summary>One model to compress and where its outputs go. <paramref name="ManifestPath"/> empty = the default manifest.</summary>
public sealed record CompressionRequest(
    string ModelPath,
    string ManifestPath,
    string ClassName,
    string Namespace,
    string OutputDirectory,
    string ResourceName)
{
    /// <summary>Pinned input dims, <c>x=1,3,48,?</c> (the OnnxModel item's <c>InputShapes</c>); overrides the manifest's <c>inputs</c>.</summary>
    public string InputShapes { get; init; } = "";

    /// <summary>The content-addressed cache shared by configurations and RIDs (see <see cref="OutputCache"/>); null = none.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Compress even when the previous outputs or the cache hold a result for the same inputs.</summary>
    public bool Force { get; init; }
}

/// <summary>The files a compression wrote (or left unchanged) and a one-line summary for the build log.</summary>
public sealed record CompressionResult(
    string PlanPath,
    string WeightsPath,
    string CompressedModelPath,
    string ReportPath,
    long OriginalBytes,
    long EmbeddedBytes,
    IReadOnlyList<string> ChangedFiles,
    string Summary)
{
    /// <summary>Canonical MSBuild warning lines (<c>file: warning MB####: text</c>).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
