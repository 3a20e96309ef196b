using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Evaluation.Services;

/// <summary>Runs the reference and the candidates in ONNX Runtime (one intra-op thread) and compares their first outputs with <see cref="Metrics"/>.</summary>
public sealed class OnnxRuntimeModelScorer : IModelScorer
{
    /// <inheritdoc />
    public IReferenceScorer RunReference(string modelPath, CalibrationSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var session = OnnxRuntimeSession.FromFile(modelPath);
        return new ReferenceOutputs(session.RunAll(data.Samples, data.Count), data);
    }

    /// <summary>The reference's outputs, kept so each candidate costs one run.</summary>
    private sealed class ReferenceOutputs(float[] outputs, CalibrationSet data) : IReferenceScorer
    {
        // One row of outputs per sample: the classes (or output values) the metrics compare row by row.
        private readonly int _classes = outputs.Length / Math.Max(1, data.Count);

        public MetricScores Score(byte[] candidateOnnx, string candidateName, ValidationMetric metric)
        {
            float[] candidate;
            using (var session = OnnxRuntimeSession.FromBytes(candidateOnnx, candidateName))
            {
                candidate = session.RunAll(data.Samples, data.Count);
            }

            var agreement = Metrics.Agreement(outputs, candidate, _classes);
            var (reference, score) = metric switch
            {
                ValidationMetric.Top1 => (Metrics.Top1Accuracy(outputs, _classes, data.Labels!), Metrics.Top1Accuracy(candidate, _classes, data.Labels!)),
                ValidationMetric.Agreement => (1.0, agreement),
                ValidationMetric.Cosine => (1.0, Metrics.MeanCosine(outputs, candidate, _classes)),
                ValidationMetric.Sqnr => (double.PositiveInfinity, Metrics.Sqnr(outputs, candidate)),
                _ => (0.0, Metrics.MaxAbsDiff(outputs, candidate)),
            };
            return new MetricScores(reference, score, agreement);
        }
    }
}
