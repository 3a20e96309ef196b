using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Contracts;

/// <summary>A reference model's outputs on a set of samples, against which candidate models are measured.</summary>
public interface IReferenceScorer
{
    /// <summary>
    /// Runs <paramref name="candidateOnnx"/> on the same samples and measures <paramref name="metric"/> for the
    /// reference and for the candidate; <paramref name="candidateName"/> names the candidate in errors.
    /// </summary>
    /// <exception cref="ModelBuildException">MB4001 when the candidate cannot be run.</exception>
    MetricScores Score(byte[] candidateOnnx, string candidateName, ValidationMetric metric);

    /// <summary>
    /// <see cref="Score"/> on a model file, which may keep its weights as ONNX external data in files beside it (the
    /// pipeline writes multi-gigabyte models to disk rather than holding them, issue 12).
    /// </summary>
    /// <exception cref="ModelBuildException">MB4001 when the candidate cannot be run.</exception>
    MetricScores ScoreFile(string candidatePath, string candidateName, ValidationMetric metric);
}

/// <summary>
/// One measurement. <see cref="Reference"/> is the metric of the reference model itself: its top-1 accuracy for
/// <see cref="ValidationMetric.Top1"/>, otherwise the value of a perfect copy (agreement and cosine 1, SQNR +∞, max
/// abs diff 0). <see cref="Agreement"/> is the fraction of samples with the same top-1 answer, whatever the metric.
/// </summary>
public sealed record MetricScores(double Reference, double Candidate, double Agreement);
