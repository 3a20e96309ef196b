using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Services;

/// <summary>Reads a manifest's data section with <see cref="DatasetSpec"/> (IDX, .npy, raw float32, synthetic).</summary>
public sealed class DatasetLoader : IDatasetLoader
{
    /// <inheritdoc />
    public CalibrationSet Load(DatasetSection section, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(section);
        var spec = new DatasetSpec
        {
            Images = section.Images,
            Labels = section.Labels,
            Format = section.Format,
            Preprocessing = section.Preprocessing,
            Count = section.Count,
            Offset = section.Offset,
            SampleShape = section.SampleShape,
            SourceFile = section.SourceFile,
        };
        var (samples, count, shape, labels) = spec.LoadSamples(baseDirectory);
        return new CalibrationSet(samples, count, shape, labels);
    }
}
