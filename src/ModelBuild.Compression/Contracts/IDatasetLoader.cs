using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Contracts;

/// <summary>
/// Reads a manifest's data section (<c>calibration</c> or <c>validation</c>) into preprocessed samples.
/// ModelBuild.Evaluation implements it with its IDX, .npy, raw and synthetic readers.
/// </summary>
public interface IDatasetLoader
{
    /// <summary>
    /// The section's samples, preprocessed, at most <see cref="DatasetSection.Count"/> of them, with their labels when
    /// the section names a label file. Relative paths start at <paramref name="baseDirectory"/> (the manifest's folder).
    /// </summary>
    /// <exception cref="ModelBuildException">MB4002 bad file, MB4003 missing file, MB4004 bad section.</exception>
    CalibrationSet Load(DatasetSection section, string baseDirectory);
}
