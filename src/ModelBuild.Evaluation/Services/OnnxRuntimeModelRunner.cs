using ModelBuild.Compression.Contracts;

namespace ModelBuild.Evaluation.Services;

/// <summary>Runs a model in ONNX Runtime (one intra-op thread) for the build's check of its own plan.</summary>
public sealed class OnnxRuntimeModelRunner : IModelRunner
{
    /// <inheritdoc />
    public IReadOnlyList<float[]> Run(byte[] onnx, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs)
    {
        using var session = OnnxRuntimeSession.FromBytes(onnx, displayName);
        var results = session.RunTyped(inputs, outputs);
        return outputs.Select(o => results[o].Data).ToList();
    }

    /// <inheritdoc />
    public IReadOnlyList<float[]> RunFile(string path, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs)
    {
        using var session = OnnxRuntimeSession.FromCompressedFile(path, displayName);
        var results = session.RunTyped(inputs, outputs);
        return outputs.Select(o => results[o].Data).ToList();
    }
}
