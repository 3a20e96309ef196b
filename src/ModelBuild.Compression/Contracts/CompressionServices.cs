namespace ModelBuild.Compression.Contracts;

/// <summary>
/// What compression needs from outside itself: reading data, recording activations, running models to score them.
/// ModelBuild.Evaluation provides the ONNX Runtime implementations (<c>EvaluationServices.Create()</c>); the worker
/// (ModelBuild.Cli) composes them, so this assembly never references ONNX Runtime.
/// </summary>
/// <param name="Data">Reads calibration and validation data.</param>
/// <param name="Activations">Records layer inputs on calibration data.</param>
/// <param name="Scoring">Scores candidate models against a reference.</param>
/// <param name="Runner">Runs a model for the check of the shipped plan; null skips that check (tests of the passes alone).</param>
public sealed record CompressionServices(IDatasetLoader Data, IActivationRecorder Activations, IModelScorer Scoring, IModelRunner? Runner = null);
