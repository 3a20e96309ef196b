using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// The compressed .onnx that the plan check and the accuracy gate run in ONNX Runtime: its bytes (tests, small
/// models), or the file the pipeline streamed it to, which ONNX Runtime then reads itself, so a multi-gigabyte model
/// is never also a managed array while ONNX Runtime holds its own copy (issue 12).
/// </summary>
internal sealed class CompressedModel
{
    private readonly byte[]? _bytes;
    private readonly string? _path;

    private CompressedModel(byte[]? bytes, string? path) => (_bytes, _path) = (bytes, path);

    public static CompressedModel FromBytes(byte[] bytes) => new(bytes ?? throw new ArgumentNullException(nameof(bytes)), null);

    public static CompressedModel FromFile(string path) => new(null, path ?? throw new ArgumentNullException(nameof(path)));

    /// <summary>Runs the model in <paramref name="runner"/>.</summary>
    public IReadOnlyList<float[]> Run(IModelRunner runner, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> outputs) =>
        _path is null ? runner.Run(_bytes!, displayName, inputs, outputs) : runner.RunFile(_path, displayName, inputs, outputs);

    /// <summary>Scores the model against <paramref name="reference"/>'s outputs.</summary>
    public MetricScores Score(IReferenceScorer reference, string displayName, ValidationMetric metric) =>
        _path is null ? reference.Score(_bytes!, displayName, metric) : reference.ScoreFile(_path, displayName, metric);

    /// <summary>The model as a protobuf message (to add outputs when a check bisects a difference).</summary>
    public ModelProto Parse()
    {
        if (_path is null)
        {
            return ModelProto.Parser.ParseFrom(_bytes);
        }

        using var file = File.OpenRead(_path);
        return ModelProto.Parser.ParseFrom(file);
    }
}
