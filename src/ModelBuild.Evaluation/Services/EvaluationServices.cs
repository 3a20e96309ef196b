using ModelBuild.Compression.Contracts;

namespace ModelBuild.Evaluation.Services;

/// <summary>The ONNX Runtime implementations of what ModelBuild.Compression needs, composed once (the worker, tests).</summary>
public static class EvaluationServices
{
    /// <summary>Data readers, activation recording and scoring, all backed by this library.</summary>
    public static CompressionServices Create() =>
        new(new DatasetLoader(), new OnnxRuntimeActivationRecorder(), new OnnxRuntimeModelScorer(), new OnnxRuntimeModelRunner());
}
