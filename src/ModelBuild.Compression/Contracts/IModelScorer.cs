using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Contracts;

/// <summary>
/// Compares models with a reference model on the same samples: the accuracy gate (original vs compressed model on
/// validation data) and auto mode (original vs each candidate on calibration data) both use it.
/// ModelBuild.Evaluation implements it with ONNX Runtime.
/// </summary>
public interface IModelScorer
{
    /// <summary>Runs the reference model (an ONNX file) once on <paramref name="data"/>; the result scores other models against those outputs.</summary>
    /// <exception cref="ModelBuildException">MB4001 when the model cannot be run.</exception>
    IReferenceScorer RunReference(string modelPath, CalibrationSet data);
}
