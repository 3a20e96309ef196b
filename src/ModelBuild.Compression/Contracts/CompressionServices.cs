namespace ModelBuild.Compression.Contracts;

/// <summary>
/// What compression needs from outside itself: reading data, recording activations, running models to score them.
/// ModelBuild.Evaluation provides the ONNX Runtime implementations (<c>EvaluationServices.Create()</c>); the worker
/// (ModelBuild.Cli) composes them, so this assembly never references ONNX Runtime.
/// </summary>
public sealed record CompressionServices(IDatasetLoader Data, IActivationRecorder Activations, IModelScorer Scoring);
