namespace ModelBuild.Compression.Contracts;

/// <summary>
/// Runs an ONNX model on one float32 input and returns the requested float outputs: the reference the build checks
/// its own plan against (<see cref="Validation.PlanVerifier"/>). ModelBuild.Evaluation implements it with ONNX Runtime.
/// </summary>
public interface IModelRunner
{
    /// <summary>Runs <paramref name="onnx"/> with its first input set to <paramref name="input"/> of <paramref name="shape"/>.</summary>
    /// <param name="onnx">The model bytes.</param>
    /// <param name="displayName">The model's name in messages.</param>
    /// <param name="input">The first input's values, row-major.</param>
    /// <param name="shape">The first input's shape.</param>
    /// <param name="outputs">The (graph output) values to return.</param>
    /// <returns>Each requested output's data, in the order asked; non-float outputs are converted to float.</returns>
    /// <exception cref="ModelBuildException">MB4001 when the model cannot be run.</exception>
    IReadOnlyList<float[]> Run(byte[] onnx, string displayName, float[] input, int[] shape, IReadOnlyList<string> outputs);
}
