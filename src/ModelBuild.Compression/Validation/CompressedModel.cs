using Google.Protobuf;
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

    /// <summary>
    /// Runs the model with <paramref name="names"/> (float values) as its outputs, added where they are not already
    /// outputs: a check bisecting a difference. A model on disk is rewritten beside itself, so the external data file a
    /// large compressed model keeps its weights in is still found.
    /// </summary>
    public IReadOnlyList<float[]> RunWithOutputs(IModelRunner runner, string displayName, IReadOnlyList<ModelInput> inputs, IReadOnlyList<string> names)
    {
        ModelProto model;
        if (_path is null)
        {
            model = ModelProto.Parser.ParseFrom(_bytes);
        }
        else
        {
            using var file = File.OpenRead(_path);
            model = ModelProto.Parser.ParseFrom(file);
        }

        var existing = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names.Where(n => !existing.Contains(n)).Distinct())
        {
            model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)Graph.DataType.Float } } });
        }

        if (_path is null)
        {
            return runner.Run(model.ToByteArray(), displayName, inputs, names);
        }

        var probe = _path + ".outputs-" + Environment.ProcessId + ".onnx";
        try
        {
            using (var file = new FileStream(probe, FileMode.Create, FileAccess.Write))
            {
                model.WriteTo(file);
            }

            return runner.RunFile(probe, displayName, inputs, names);
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
