using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>
/// A parsed compression manifest (version 1): the passes to run, in order. See README.md, "The manifest".
/// </summary>
/// <remarks>
/// Every user error carries the manifest path and the 1-based line and column of the offending key or value:
/// MB2001 invalid JSON, MB2002 unknown key or pass, MB2003 bad value, MB2004 missing file.
/// </remarks>
public sealed class CompressionManifest
{
    /// <summary>The only manifest version this build understands.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Creates a manifest from already-validated passes.</summary>
    public CompressionManifest(IReadOnlyList<PassSpec> passes, string? description = null, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(passes);

        Passes = passes;
        Description = description;
        Path = path;
    }

    /// <summary>What a model without a manifest gets: int8 weights, one scale per output channel, symmetric.</summary>
    public static CompressionManifest Default { get; } =
        new([new QuantizeSpec(WeightType.Int8, QuantGranularity.PerChannel, Symmetric: true)]);

    /// <summary>The manifest version (always <see cref="CurrentVersion"/> for a parsed manifest).</summary>
    public int Version => CurrentVersion;

    /// <summary>Calibration data for passes that need activations (GPTQ, SparseGPT, Taylor saliency, reconstruction).</summary>
    public DatasetSection? Calibration { get; init; }

    /// <summary>Data and metric for the accuracy gate; null = no gate (a warning when the passes are lossy).</summary>
    public ValidationSpec? Validation { get; init; }

    /// <summary>Pinned input dims from the <c>inputs</c> section (-1 keeps a dim symbolic), or null.</summary>
    public IReadOnlyDictionary<string, int[]>? InputShapes { get; init; }

    /// <summary>The bound the gate enforces; null = measure and report only.</summary>
    public ToleranceSpec? Tolerance { get; init; }

    /// <summary><c>"nonFinite"</c>: what to do with a weight holding NaN or ±Inf (default: fail with MB3004).</summary>
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Error;

    /// <summary><c>"mode": "auto"</c>: per-layer bit widths searched after the passes; null = manual.</summary>
    public Auto.AutoSpec? Auto { get; init; }

    /// <summary>
    /// The data files the calibration and validation sections name, as full paths (relative ones start at the
    /// manifest's folder); synthetic data has none. Compression results depend on their bytes.
    /// </summary>
    public IReadOnlyList<string> DataFiles() => NamedDataFiles().Select(f => f.Path).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// <see cref="DataFiles"/> with the key that names each (e.g. <c>validation.images</c>), for errors that must say
    /// where in the manifest to look.
    /// </summary>
    public IReadOnlyList<(string Key, string Path)> NamedDataFiles()
    {
        var baseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path ?? ".")) ?? ".";
        var sections = new[] { ("calibration", Calibration), ("validation", Validation?.Data) };
        return sections.Where(s => s.Item2 is not null)
            .SelectMany(s => new[] { (s.Item1 + ".images", s.Item2!.Format == "synthetic" ? null : s.Item2.Images), (s.Item1 + ".labels", s.Item2.Labels) })
            .Where(f => f.Item2 is not null)
            .Select(f => (f.Item1, System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, f.Item2!))))
            .ToList();
    }

    /// <summary>The passes in the order they run.</summary>
    public IReadOnlyList<PassSpec> Passes { get; }

    /// <summary>The optional free-text <c>description</c>.</summary>
    public string? Description { get; }

    /// <summary>The file the manifest came from; null for <see cref="Default"/> and for parsed text without a file.</summary>
    public string? Path { get; }

    /// <summary>Reads and validates the manifest at <paramref name="path"/>.</summary>
    /// <exception cref="ModelBuildException">MB2004 when the file is missing, MB0006 when it cannot be read, else as <see cref="Parse"/>.</exception>
    public static CompressionManifest Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFiles.RequireRegularOrMissing(path, "MB2004", "manifest file");
        if (!File.Exists(path))
        {
            throw new ModelBuildException("MB2004", path, $"the manifest file '{path}' does not exist. Check the Manifest metadata of the OnnxModel item (or --manifest).");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelBuildException("MB0006", path, $"cannot read the manifest: {e.Message}", inner: e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates manifest JSON; <paramref name="path"/> is used in error messages.</summary>
    /// <exception cref="ModelBuildException">MB2001, MB2002 or MB2003 with the line and column of the problem.</exception>
    public static CompressionManifest Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonParser.Parse(json, path);
        return ManifestReader.Read(root, path);
    }

    /// <summary>All passes described and joined, e.g. <c>quantize(int8,per-channel,symmetric)</c>.</summary>
    public string Describe() => Passes.Count == 0 && Auto is null ? "no passes (exact float32)"
        : string.Join(", ", Passes.Select(p => p.Describe()).Concat(Auto is null ? [] : [Auto.MaxBytes is { } b ? $"auto(maxBytes={b})" : "auto(smallest)"]));

    /// <inheritdoc />
    public override string ToString() => Describe();
}
