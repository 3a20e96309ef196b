using ModelBuild.Compression.Passes;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Contracts;

/// <summary>
/// Runs a graph on calibration samples and returns intermediate values (e.g. a layer's inputs, from which GPTQ and
/// SparseGPT build their Hessians). ModelBuild.Evaluation implements it with ONNX Runtime.
/// </summary>
public interface IActivationRecorder
{
    /// <summary>
    /// Every value in <paramref name="valueNames"/> (graph inputs or node outputs) over all of
    /// <paramref name="data"/>'s samples, concatenated along the batch axis with shape [count, ...]; a value that
    /// does not depend on the batch is returned once. The graph is left unchanged.
    /// </summary>
    IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Record(ModelGraph graph, IReadOnlyList<string> valueNames, CalibrationSet data);
}
