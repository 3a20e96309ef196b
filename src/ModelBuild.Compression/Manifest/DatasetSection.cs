namespace ModelBuild.Compression.Manifest;

/// <summary>
/// A data section of the manifest (<c>calibration</c>, or the data of <c>validation</c>): which files, in which
/// format, preprocessed how. Only a description; an <see cref="Contracts.IDatasetLoader"/> reads the files.
/// </summary>
public sealed record DatasetSection
{
    /// <summary>The image or sample file, relative to the manifest's folder (for <c>synthetic</c>: the generator, e.g. <c>uniform:0,1;seed=7</c>).</summary>
    public string Images { get; init; } = "";

    /// <summary>The label file (IDX or .npy), if any.</summary>
    public string? Labels { get; init; }

    /// <summary><c>idx</c> (default), <c>npy</c>, <c>raw</c> or <c>synthetic</c>.</summary>
    public string Format { get; init; } = "idx";

    /// <summary>The compact preprocessing form, e.g. <c>scale=1/255 mean=0.5 std=0.5</c>; none means identity.</summary>
    public string? Preprocessing { get; init; }

    /// <summary>Use at most this many samples (the first ones after <see cref="Offset"/>).</summary>
    public int? Count { get; init; }

    /// <summary>Skip this many samples first (0 = none), so a file can be split into disjoint parts; past the end is MB4004.</summary>
    public int Offset { get; init; }

    /// <summary>The per-sample shape; required for <c>raw</c> and <c>synthetic</c>.</summary>
    public int[]? SampleShape { get; init; }

    /// <summary>The manifest this section came from, for error messages.</summary>
    public string? SourceFile { get; init; }
}
