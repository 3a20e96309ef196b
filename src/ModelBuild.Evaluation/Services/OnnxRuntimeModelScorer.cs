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
        var outputs = session.RunAll(data.Samples, data.Count, dataShape: data.SampleShape);
        if (outputs.Length == 0 && data.Count > 0)
        {
            // Metrics compare rows of the first output; a zero-size output has none, and "0 % agreement" would blame the passes.
            throw new ModelBuildException("MB3002", modelPath,
                "the model's first output holds no values (a dimension of size 0) on the validation samples, so the accuracy gate has nothing to compare. Check the graph's shapes, or remove 'validation' from the manifest.");
        }

        return new ReferenceOutputs(outputs, data);
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
                candidate = session.RunAll(data.Samples, data.Count, dataShape: data.SampleShape);
            }

            return Measure(candidate, metric);
        }

        public MetricScores ScoreFile(string candidatePath, string candidateName, ValidationMetric metric)
        {
            float[] candidate;
            using (var session = OnnxRuntimeSession.FromCompressedFile(candidatePath, candidateName))
            {
                candidate = session.RunAll(data.Samples, data.Count, dataShape: data.SampleShape);
            }

            return Measure(candidate, metric);
        }

        private MetricScores Measure(float[] candidate, ValidationMetric metric)
        {
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
