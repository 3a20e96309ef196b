using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Pipeline;

/// <summary>Loads the manifest's calibration section (paths relative to the manifest).</summary>
internal static class CalibrationLoader
{
    public static CalibrationSet? Load(CompressionManifest manifest, IDatasetLoader loader, IProgress<string>? progress)
    {
        if (manifest.Calibration is not { } spec)
        {
            return null;
        }

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(manifest.Path ?? ".")) ?? ".";
        progress?.Report($"loading calibration data {spec.Images}");
        return loader.Load(spec, baseDirectory);
    }
}
