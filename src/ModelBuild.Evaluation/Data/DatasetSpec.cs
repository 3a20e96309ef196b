using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelBuild.Evaluation.Data;

/// <summary>
/// Where a dataset lives and how to turn it into model inputs. JSON form (comments and trailing commas allowed):
/// <c>{ "images": "mnist/t10k-images-idx3-ubyte.gz", "labels": "mnist/t10k-labels-idx1-ubyte.gz",
/// "format": "idx", "preprocessing": "scale=1/255", "count": 1000 }</c>.
/// </summary>
/// <remarks>
/// <c>idx</c>: uint8 images [N, rows, cols] become samples [1, rows, cols] (NCHW) or [rows, cols, 1] (NHWC).
/// <c>npy</c>: an array [N, ...]; the preprocessing is applied in place, the channel axis being the first
/// (NCHW) or last (NHWC) per-sample axis; no transposition. <c>raw</c>: little-endian float32 samples of
/// <see cref="SampleShape"/>, preprocessed like npy. Labels are an IDX label file or a .npy array.
/// </remarks>
public sealed record DatasetSpec
{
    /// <summary>The image or sample file, relative to the spec's folder.</summary>
    public string Images { get; init; } = "";

    /// <summary>The label file, if any.</summary>
    public string? Labels { get; init; }

    /// <summary><c>idx</c> (default), <c>npy</c> or <c>raw</c>.</summary>
    public string Format { get; init; } = "idx";

    /// <summary>The compact <see cref="PreprocessingSpec"/> form; none means identity.</summary>
    public string? Preprocessing { get; init; }

    /// <summary>Use at most this many samples (the first ones after <see cref="Offset"/>).</summary>
    public int? Count { get; init; }

    /// <summary>
    /// Skip this many samples first (default 0), so one file can give disjoint splits, e.g. a validation part
    /// (<c>count</c> 5000) and a test rest (<c>offset</c> 5000). An offset at or past the file's end is MB4004.
    /// </summary>
    public int Offset { get; init; }

    /// <summary>The per-sample shape; required for <c>raw</c>.</summary>
    public int[]? SampleShape { get; init; }

    /// <summary>The spec file this came from, for error messages.</summary>
    [JsonIgnore]
    public string? SourceFile { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads a JSON spec file. Errors: MB4004 (malformed), MB4003 (missing).</summary>
    public static DatasetSpec Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFiles.RequireRegularOrMissing(path, EvaluationErrors.DataFileMissing, "dataset spec file");
        if (!File.Exists(path))
        {
            throw new ModelBuildException(EvaluationErrors.DataFileMissing, path, "The dataset spec file does not exist.");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses JSON text; <paramref name="file"/> names it in MB4004 errors.</summary>
    public static DatasetSpec Parse(string json, string? file = null)
    {
        DatasetSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<DatasetSpec>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelBuildException(EvaluationErrors.BadDatasetSpec, file,
                $"Bad dataset spec: {e.Message}", (int)(e.LineNumber ?? -1) + 1, (int)(e.BytePositionInLine ?? -1) + 1, e);
        }

        spec = (spec ?? throw Error(file, "the JSON is null")) with { SourceFile = file };
        spec.Validate();
        return spec;
    }

    /// <summary>
    /// Reads and preprocesses the samples, paths resolved against <paramref name="baseDirectory"/>.
    /// </summary>
    public (float[] Samples, int Count, int[] SampleShape, byte[]? Labels) LoadSamples(string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        Validate();
        var pre = Preprocessing is null ? PreprocessingSpec.Identity : PreprocessingSpec.Parse(Preprocessing, SourceFile);
        string images = Path.Combine(baseDirectory, Images);
        var (samples, count, shape) = Format.ToLowerInvariant() switch
        {
            "synthetic" => SyntheticData.Generate(Images, SampleShape!, Count ?? 256, SourceFile),
            "idx" => LoadIdx(images, pre),
            "npy" => FromArray(NpyReader.Read(images), pre),
            _ => FromRaw(images, pre),
        };

        byte[]? labels = Labels is null ? null : ReadLabels(Path.Combine(baseDirectory, Labels));
        if (labels is not null && labels.Length < count)
        {
            throw Error(SourceFile, $"{Labels} has {labels.Length} labels but {Images} has {count} samples");
        }

        if (Offset > 0 && Format.ToLowerInvariant() != "synthetic")
        {
            if (Offset >= count)
            {
                throw Error(SourceFile, $"\"offset\" {Offset} skips every sample: {Images} has {count}");
            }

            int size = shape.Aggregate(1, (a, d) => a * d);
            samples = samples[(Offset * size)..];
            labels = labels?[Offset..count];
            count -= Offset;
        }

        if (Count is { } limit && limit < count)
        {
            int size = shape.Aggregate(1, (a, d) => a * d);
            samples = samples[..(limit * size)];
            count = limit;
        }

        return (samples, count, shape, labels?[..count]);
    }

    private (float[], int, int[]) LoadIdx(string path, PreprocessingSpec pre)
    {
        var idx = IdxReader.ReadImages(path);
        int size = idx.Rows * idx.Cols;
        int n = Math.Min(idx.Count, Count is { } limit ? (int)Math.Min(int.MaxValue, (long)limit + Offset) : int.MaxValue);
        var samples = new float[(long)n * size];
        for (int i = 0; i < n; i++)
        {
            pre.Apply(idx.Pixels.AsSpan(i * size, size), 1, idx.Rows, idx.Cols, samples.AsSpan(i * size, size));
        }

        int[] shape = pre.Layout == TensorLayout.Nchw ? [1, idx.Rows, idx.Cols] : [idx.Rows, idx.Cols, 1];
        return (samples, n, shape);
    }

    private (float[], int, int[]) FromArray(NpyArray array, PreprocessingSpec pre)
    {
        if (array.Shape.Length < 2)
        {
            throw Error(SourceFile, $"{Images} has shape ({string.Join(",", array.Shape)}); samples need [N, ...]");
        }

        int[] shape = array.Shape[1..];
        ApplyPreprocessing(array.Data, shape, pre);
        return (array.Data, array.Shape[0], shape);
    }

    private (float[], int, int[]) FromRaw(string path, PreprocessingSpec pre)
    {
        int[] shape = SampleShape!;
        float[] data = RawTensorReader.ReadFloat32(path, shape);
        ApplyPreprocessing(data, shape, pre);
        return (data, data.Length / shape.Aggregate(1, (a, d) => a * d), shape);
    }

    private static void ApplyPreprocessing(float[] data, int[] shape, PreprocessingSpec pre)
    {
        if (ReferenceEquals(pre, PreprocessingSpec.Identity))
        {
            return;
        }

        // Rank ≥ 2 samples have a channel axis (first for NCHW, last for NHWC); otherwise one channel.
        int channels = shape.Length < 2 ? 1 : pre.Layout == TensorLayout.Nchw ? shape[0] : shape[^1];
        int perSample = shape.Aggregate(1, (a, d) => a * d);
        pre.ApplyInPlace(data, channels, perSample / channels);
    }

    private static byte[] ReadLabels(string path)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            return IdxReader.ReadLabels(path);
        }

        var array = NpyReader.Read(path);
        return array.Data.Select(v => v is >= 0 and <= 255 && v == MathF.Floor(v)
            ? (byte)v
            : throw DataFiles.Bad(path, $"label {v} is not an integer in 0..255")).ToArray();
    }

    private void Validate()
    {
        string? reason = Format.ToLowerInvariant() switch
        {
            _ when string.IsNullOrWhiteSpace(Images) => "\"images\" is required",
            not ("idx" or "npy" or "raw" or "synthetic") => $"\"format\" is '{Format}'; use idx, npy, raw or synthetic",
            "synthetic" when SampleShape is not { Length: > 0 } => "\"sampleShape\" is required for synthetic data",
            "raw" when SampleShape is not { Length: > 0 } => "\"sampleShape\" is required for raw data",
            _ when SampleShape is not null && SampleShape.Any(d => d <= 0) => "\"sampleShape\" dimensions must be positive",
            _ when Count is < 0 => "\"count\" must not be negative",
            _ when Offset < 0 => "\"offset\" must not be negative",
            _ => null,
        };
        if (reason is not null)
        {
            throw Error(SourceFile, reason);
        }

        if (Preprocessing is not null)
        {
            PreprocessingSpec.Parse(Preprocessing, SourceFile);
        }
    }

    private static ModelBuildException Error(string? file, string reason) =>
        new(EvaluationErrors.BadDatasetSpec, file, $"Bad dataset spec: {reason}. Fix the spec file.");
}
