using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Passes;
using ModelBuild.Graph;

namespace ModelBuild.Evaluation.Services;

/// <summary>Records activations with ONNX Runtime, the values declared as extra graph outputs (<see cref="ActivationRecorder"/>).</summary>
public sealed class OnnxRuntimeActivationRecorder : IActivationRecorder
{
    /// <inheritdoc />
    public IReadOnlyDictionary<string, (float[] Data, int[] Shape)> Record(ModelGraph graph, IReadOnlyList<string> valueNames, CalibrationSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ActivationRecorder.Record(graph, valueNames, data.Samples, data.Count, dataShape: data.SampleShape);
    }
}
