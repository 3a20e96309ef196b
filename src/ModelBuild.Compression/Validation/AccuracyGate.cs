using System.Globalization;
using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Reporting;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// Measures the compressed model against the original on the manifest's validation data (both run by the
/// <see cref="IModelScorer"/>, ONNX Runtime in the worker) and fails the build (MB5001) when the loss exceeds the manifest's tolerance. A build never silently ships a
/// model worse than the manifest allows.
/// </summary>
public static class AccuracyGate
{
    /// <summary>Returns the measurements for the report, or null when the manifest has no validation section.</summary>
    public static AccuracyReport? Check(CompressionManifest manifest, string modelPath, byte[] compressedOnnx, CompressionServices services, IProgress<string>? progress) =>
        Check(manifest, modelPath, compressedOnnx, RunOriginal(manifest, modelPath, services, progress), progress);

    /// <summary>
    /// Runs the original model on the validation data (null without a validation section). The pipeline does this
    /// before the passes, while it holds none of the weights, so ONNX Runtime's copy of the original model is not
    /// added to the compressor's own (issue 12's peak-memory bound).
    /// </summary>
    public static OriginalOutputs? RunOriginal(CompressionManifest manifest, string modelPath, CompressionServices services, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (manifest.Validation is not { } validation)
        {
            return null;
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(manifest.Path ?? ".")) ?? ".";
        var data = services.Data.Load(validation.Data, baseDirectory);
        progress?.Report($"validating on {data.Count:N0} samples of {validation.Data.Images}");
        var reference = services.Scoring.RunReference(modelPath, data);
        progress?.Report($"validating original: {data.Count:N0}/{data.Count:N0} samples");
        return new OriginalOutputs(reference, data.Count);
    }

    /// <summary>Measures the compressed model against <paramref name="original"/> (from <see cref="RunOriginal"/>); MB5001 beyond the tolerance.</summary>
    public static AccuracyReport? Check(CompressionManifest manifest, string modelPath, byte[] compressedOnnx, OriginalOutputs? original, IProgress<string>? progress) =>
        Check(manifest, modelPath, CompressedModel.FromBytes(compressedOnnx), original, progress);

    /// <summary>As above, on the compressed model in memory or in the file the pipeline streamed it to.</summary>
    internal static AccuracyReport? Check(CompressionManifest manifest, string modelPath, CompressedModel compressedOnnx, OriginalOutputs? original, IProgress<string>? progress)
    {
        if (manifest.Validation is not { } validation || original is null)
        {
            return null;
        }

        var (reference, count) = (original.Reference, original.Count);
        var metric = manifest.Tolerance?.Metric ?? validation.Metric;
        var scores = compressedOnnx.Score(reference, Path.GetFileName(modelPath) + " (compressed)", metric);
        progress?.Report($"validating compressed: {count:N0}/{count:N0} samples");
        var name = metric switch
        {
            ValidationMetric.Top1 => "top-1",
            ValidationMetric.Agreement => "agreement",
            ValidationMetric.Cosine => "cosine",
            ValidationMetric.Sqnr => "SQNR dB",
            _ => "max abs diff",
        };
        var (originalScore, compressedScore) = (scores.Reference, scores.Candidate);
        var report = new AccuracyReport(name, originalScore, compressedScore, scores.Agreement, count);

        if (manifest.Tolerance is { } tolerance && !Passes(tolerance, originalScore, compressedScore))
        {
            throw new ModelBuildException("MB5001", manifest.Path,
                $"the compressed model misses the tolerance: {name} {Show(name, originalScore)} -> {Show(name, compressedScore)} "
                + $"on {count:N0} validation samples, but the manifest allows {Describe(tolerance)}. Loosen the tolerance or compress less.");
        }

        return report;
    }

    /// <summary>A one-line verdict for the build log, e.g. <c>top-1 98.77 % → 98.61 % (tolerance 0.5 pp) ✓</c>.</summary>
    public static string Summary(AccuracyReport report, ToleranceSpec? tolerance) =>
        $"{report.Metric} {Show(report.Metric, report.Original)} -> {Show(report.Metric, report.Compressed)}"
        + (tolerance is null ? " (no tolerance set)" : $" (tolerance {Describe(tolerance)}) ok");

    private static bool Passes(ToleranceSpec tolerance, double original, double compressed) => tolerance.Key switch
    {
        "maxAccuracyDrop" => original - compressed <= tolerance.Value + 1e-12,
        "maxAbsDiff" => compressed <= tolerance.Value,
        _ => compressed >= tolerance.Value,
    };

    private static string Describe(ToleranceSpec t) => t.Key switch
    {
        "maxAccuracyDrop" => $"a drop of at most {(t.Value * 100).ToString("0.###", CultureInfo.InvariantCulture)} pp",
        "minAgreement" => $"at least {(t.Value * 100).ToString("0.###", CultureInfo.InvariantCulture)} % agreement",
        "minCosine" => $"cosine at least {t.Value.ToString("0.######", CultureInfo.InvariantCulture)}",
        "minSqnrDb" => $"SQNR at least {t.Value.ToString("0.##", CultureInfo.InvariantCulture)} dB",
        _ => $"max abs diff at most {t.Value.ToString("G4", CultureInfo.InvariantCulture)}",
    };

    private static string Show(string metric, double value) => metric switch
    {
        "top-1" or "agreement" => (value * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %",
        "SQNR dB" => double.IsPositiveInfinity(value) ? "inf dB" : value.ToString("0.0", CultureInfo.InvariantCulture) + " dB",
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };
}

/// <summary>The original model's outputs on the validation samples (<see cref="AccuracyGate.RunOriginal"/>).</summary>
public sealed record OriginalOutputs(IReferenceScorer Reference, int Count);
