namespace ModelBuild.Compression.Manifest;

/// <summary>Reader of the <c>quantize-activations</c> pass.</summary>
internal static partial class ManifestReader
{
    private static readonly string[] ActivationKeys = ["exclude", "layers", "mode"];
    private static readonly IReadOnlyList<(string Name, ActivationMode Value)> ActivationModes = [("dynamic", ActivationMode.Dynamic), ("static", ActivationMode.Static)];

    static partial void RegisterActivations(IDictionary<string, Func<JsonObject, string, PassSpec>> table) =>
        table[ActivationQuantizeSpec.PassName] = ReadActivations;

    private static ActivationQuantizeSpec ReadActivations(JsonObject settings, string path)
    {
        CheckKeys(settings, ActivationKeys, path, $"in the '{ActivationQuantizeSpec.PassName}' pass");
        return new ActivationQuantizeSpec(ReadEnum(settings, "mode", ActivationModes, ActivationMode.Dynamic, path))
        {
            Exclude = ReadStrings(settings, "exclude", path),
            Layers = ReadStrings(settings, "layers", path),
        };
    }
}
