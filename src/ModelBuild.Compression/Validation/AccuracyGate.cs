using System.Globalization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Reporting;
using ModelBuild.Evaluation;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// Measures the compressed model against the original on the manifest's validation data (both in ONNX Runtime)
/// and fails the build (MB5001) when the loss exceeds the manifest's tolerance. A build never silently ships a
/// model worse than the manifest allows.
/// </summary>
public static class AccuracyGate
{
    /// <summary>Returns the measurements for the report, or null when the manifest has no validation section.</summary>
    public static AccuracyReport? Check(CompressionManifest manifest, string modelPath, byte[] compressedOnnx, IProgress<string>? progress)
    {
        if (manifest.Validation is not { } validation)
        {
            return null;
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(manifest.Path ?? ".")) ?? ".";
        var (samples, count, _, labels) = validation.Data.LoadSamples(baseDirectory);
        progress?.Report($"validating on {count:N0} samples of {validation.Data.Images}");
        using var original = OnnxRuntimeSession.FromFile(modelPath);
        using var compressed = OnnxRuntimeSession.FromBytes(compressedOnnx, Path.GetFileName(modelPath) + " (compressed)");
        var before = RunAll(original, samples, count, "original", progress);
        var after = RunAll(compressed, samples, count, "compressed", progress);
        var classes = before.Length / Math.Max(1, count);

        var agreement = Metrics.Agreement(before, after, classes);
        var metric = manifest.Tolerance?.Metric ?? validation.Metric;
        var (name, originalScore, compressedScore) = metric switch
        {
            ValidationMetric.Top1 => ("top-1", Metrics.Top1Accuracy(before, classes, labels!), Metrics.Top1Accuracy(after, classes, labels!)),
            ValidationMetric.Agreement => ("agreement", 1.0, agreement),
            ValidationMetric.Cosine => ("cosine", 1.0, Metrics.MeanCosine(before, after, classes)),
            ValidationMetric.Sqnr => ("SQNR dB", double.PositiveInfinity, Metrics.Sqnr(before, after)),
            _ => ("max abs diff", 0.0, Metrics.MaxAbsDiff(before, after)),
        };
        var report = new AccuracyReport(name, originalScore, compressedScore, agreement, count);

        if (manifest.Tolerance is { } tolerance && !Passes(tolerance, originalScore, compressedScore))
        {
            throw new ModelBuildException("MB5001", manifest.Path,
                $"the compressed model misses the tolerance: {name} {Show(name, originalScore)} -> {Show(name, compressedScore)} "
                + $"on {count:N0} validation samples, but the manifest allows {Describe(tolerance)}. Loosen the tolerance or compress less.");
        }

        return report;
    }

    /// <summary>
    /// <see cref="OnnxRuntimeSession.RunAll"/> in at most ten slices with a progress line every 2 s, so a gate over
    /// 10,000 images of a slow model is never a long silent step in the build log.
    /// </summary>
    private static float[] RunAll(OnnxRuntimeSession session, float[] samples, int count, string which, IProgress<string>? progress)
    {
        var slice = Math.Max(1000, (count + 9) / 10);
        if (progress is null || count <= slice)
        {
            var all = session.RunAll(samples, count);
            progress?.Report($"validating {which}: {count:N0}/{count:N0} samples");
            return all;
        }

        var size = samples.Length / count;
        float[]? result = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var start = 0; start < count; start += slice)
        {
            var n = Math.Min(slice, count - start);
            var rows = session.RunAll(samples[(start * size)..((start + n) * size)], n);
            result ??= new float[rows.Length / n * count];
            rows.CopyTo(result, start * (rows.Length / n));

            // At most one line every 2 s (and the last): a slow model shows progress, a fast one adds one line.
            if (start + n == count || clock.Elapsed.TotalSeconds >= 2)
            {
                progress.Report($"validating {which}: {start + n:N0}/{count:N0} samples");
                clock.Restart();
            }
        }

        return result ?? [];
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
