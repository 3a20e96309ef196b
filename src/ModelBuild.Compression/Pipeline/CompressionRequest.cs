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

    /// <summary>What runs the model (the OnnxModel item's <c>Runtime</c>): generated code, ONNX Runtime, or generated code when it covers every node.</summary>
    public ModelRuntime Runtime { get; init; } = ModelRuntime.Auto;

    /// <summary>False when no class is generated (<c>Generate="false"</c>): an uncovered operator is then no error.</summary>
    public bool Generate { get; init; } = true;
}

/// <summary>The OnnxModel item's <c>Runtime</c> metadata.</summary>
public enum ModelRuntime
{
    /// <summary>Generated code when it covers every node, otherwise ONNX Runtime (the default).</summary>
    Auto,

    /// <summary>Generated code only: an uncovered operator fails the build with MB3003.</summary>
    Generated,

    /// <summary>ONNX Runtime (the ModelBuild.OnnxRuntime package) behind the same generated class.</summary>
    OnnxRuntime,
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

    /// <summary>What runs the model: <c>generated</c> or <c>onnxruntime</c> (also in the <c>&lt;Class&gt;.runtime</c> file).</summary>
    public string Runtime { get; init; } = "generated";
}
