namespace ModelBuild.Compression.Contracts;

/// <summary>
/// Runs an ONNX model on typed, named inputs and returns the requested outputs as float: the reference the build
/// checks its own plan against (<see cref="Validation.PlanVerifier"/>). ModelBuild.Evaluation implements it with ONNX Runtime.
/// </summary>
public interface IModelRunner
{
    /// <summary>Runs <paramref name="onnx"/> with every graph input set from <paramref name="inputs"/>.</summary>
    /// <param name="onnx">The model bytes.</param>
    /// <param name="displayName">The model's name in messages.</param>
    /// <param name="inputs">One entry per graph input (matched by name), each a tensor of its declared element type.</param>
    /// <param name="outputs">The (graph output) values to return.</param>
    /// <returns>Each requested output's data, in the order asked; non-float outputs are converted to float.</returns>
    /// <exception cref="ModelBuildException">MB4001 when the model cannot be run (or an input's element type cannot be built).</exception>
    IReadOnlyList<float[]> Run(byte[] onnx, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs);

    /// <summary>
    /// <see cref="Run"/> on a model file: the build's check of a compressed multi-gigabyte model, which it writes to
    /// disk rather than holding (issue 12). The default reads the file and calls <see cref="Run"/>; ONNX Runtime's
    /// implementation opens the file itself.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="displayName">The model's name in messages (the file may be a temporary one).</param>
    /// <param name="inputs">One entry per graph input (matched by name).</param>
    /// <param name="outputs">The (graph output) values to return.</param>
    /// <returns>Each requested output's data, in the order asked.</returns>
    /// <exception cref="ModelBuildException">MB4001 when the model cannot be run.</exception>
    IReadOnlyList<float[]> RunFile(string path, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs) =>
        Run(File.ReadAllBytes(path), displayName, inputs, outputs);
}
