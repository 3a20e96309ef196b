using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// The sentence the generated predictor's docs carry for its first input: how the manifest's own data was
/// preprocessed before it reached the model, which is what callers must do too (the accuracy the build measured holds
/// only for inputs prepared that way).
/// </summary>
internal static class InputPreprocessingDoc
{
    /// <summary>The presets of the compact preprocessing form (README "calibration"), spelled out.</summary>
    private static readonly Dictionary<string, string> s_presets = new(StringComparer.Ordinal)
    {
        ["raw"] = "raw = the stored values",
        ["unit"] = "unit = x/255",
        ["symmetric"] = "symmetric = x/127.5 - 1",
        ["mnist"] = "mnist = (x/255 - 0.1307)/0.3081",
    };

    /// <summary>
    /// <paramref name="onnxDoc"/> (the input's ONNX doc_string, may be empty) followed by the preprocessing of the
    /// manifest's validation data, else of its calibration data; unchanged when neither is real data (synthetic data
    /// says nothing about what callers pass).
    /// </summary>
    public static string Append(string onnxDoc, CompressionManifest manifest)
    {
        var (section, kind) = manifest.Validation?.Data is { Format: not "synthetic" } v ? (v, "validation")
            : manifest.Calibration is { Format: not "synthetic" } c ? (c, "calibration")
            : (null, "");
        if (section is null)
        {
            return onnxDoc;
        }

        var form = section.Preprocessing?.Trim() is { Length: > 0 } p ? s_presets.GetValueOrDefault(p, p) : "none, the stored values";
        var sentence = $"preprocessed as the manifest's {kind} data: {form}";
        return onnxDoc.Length == 0 ? sentence : onnxDoc.TrimEnd('.', ' ') + "; " + sentence;
    }
}
