using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>Turns the JSON tree into a <see cref="CompressionManifest"/>, rejecting unknown keys and bad values.</summary>
/// <remarks>
/// Passes are looked up in <see cref="PassReaders"/>, one entry per pass name, so a new pass is one reader method
/// and one table row; the error for an unknown pass lists the table's keys.
/// </remarks>
internal static class ManifestReader
{
    private static readonly string[] TopLevelKeys = ["$schema", "description", "passes", "version"];
    private static readonly string[] QuantizeKeys = ["granularity", "symmetric", "weights"];

    private static readonly IReadOnlyDictionary<string, Func<JsonObject, string, PassSpec>> PassReaders =
        new SortedDictionary<string, Func<JsonObject, string, PassSpec>>(StringComparer.Ordinal)
        {
            [QuantizeSpec.PassName] = ReadQuantize,
        };

    public static CompressionManifest Read(JsonNode root, string path)
    {
        var obj = root as JsonObject ?? throw BadValue(path, root, $"the manifest must be a JSON object, not {root.Kind}");
        CheckKeys(obj, TopLevelKeys, path, "at the top level of the manifest");

        if (Find(obj, "version") is { } version
            && (version is not JsonNumber n || n.Value != CompressionManifest.CurrentVersion || n.Text.Contains('.') || n.Text.Contains('e', StringComparison.OrdinalIgnoreCase)))
        {
            throw BadValue(path, version, $"'version' must be {CompressionManifest.CurrentVersion}, not {Show(version)}; this ModelBuild reads manifest version {CompressionManifest.CurrentVersion}");
        }

        if (Find(obj, "$schema") is { } schema and not JsonString)
        {
            throw BadValue(path, schema, $"'$schema' must be a string, not {schema.Kind}");
        }

        string? description = null;
        if (Find(obj, "description") is { } desc)
        {
            description = (desc as JsonString)?.Value ?? throw BadValue(path, desc, $"'description' must be a string, not {desc.Kind}");
        }

        var passesNode = Find(obj, "passes") ?? throw BadValue(path, obj, "the manifest has no 'passes' list; add e.g. \"passes\": [{ \"quantize\": {} }]");
        if (passesNode is not JsonArray passes)
        {
            throw BadValue(path, passesNode, $"'passes' must be a list of passes, not {passesNode.Kind}");
        }

        if (passes.Items.Count == 0)
        {
            throw BadValue(path, passes, "'passes' is empty; list at least one pass, e.g. { \"quantize\": {} }");
        }

        return new CompressionManifest(passes.Items.Select(p => ReadPass(p, path)).ToList(), description, path);
    }

    private static PassSpec ReadPass(JsonNode node, string path)
    {
        var known = string.Join(", ", PassReaders.Keys);
        if (node is not JsonObject pass || pass.Properties.Count != 1)
        {
            throw BadValue(path, node, $"each pass must be an object with exactly one key naming the pass ({known}), e.g. {{ \"quantize\": {{}} }}");
        }

        var property = pass.Properties[0];
        if (!PassReaders.TryGetValue(property.Key, out var reader))
        {
            throw new ModelBuildException("MB2002", path, $"unknown pass '{property.Key}'; known passes: {known}.", property.Line, property.Column);
        }

        var settings = property.Value as JsonObject
            ?? throw BadValue(path, property.Value, $"the settings of '{property.Key}' must be an object, not {property.Value.Kind}");
        return reader(settings, path);
    }

    private static QuantizeSpec ReadQuantize(JsonObject settings, string path)
    {
        CheckKeys(settings, QuantizeKeys, path, "in the 'quantize' pass");
        var weights = ReadEnum(settings, "weights", ManifestNames.WeightTypes, WeightType.Int8, path);
        var granularity = ReadEnum(settings, "granularity", ManifestNames.Granularities, QuantGranularity.PerChannel, path);
        var symmetric = true;
        if (Find(settings, "symmetric") is { } node)
        {
            symmetric = (node as JsonBool)?.Value ?? throw BadValue(path, node, $"'symmetric' must be true or false, not {Show(node)}");
        }

        return new QuantizeSpec(weights, granularity, symmetric);
    }

    private static T ReadEnum<T>(JsonObject obj, string key, IReadOnlyList<(string Name, T Value)> allowed, T fallback, string path)
    {
        if (Find(obj, key) is not { } node)
        {
            return fallback;
        }

        if (node is JsonString s && allowed.FirstOrDefault(a => a.Name == s.Value) is { Name: not null } match)
        {
            return match.Value;
        }

        var names = string.Join(", ", allowed.Select(a => $"\"{a.Name}\""));
        throw BadValue(path, node, $"'{key}' must be one of {names}, not {Show(node)}");
    }

    /// <summary>Rejects keys outside <paramref name="allowed"/> (MB2002) and repeated keys (MB2003).</summary>
    private static void CheckKeys(JsonObject obj, string[] allowed, string path, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.Properties)
        {
            if (Array.IndexOf(allowed, property.Key) < 0)
            {
                throw new ModelBuildException("MB2002", path,
                    $"unknown key '{property.Key}' {where}; allowed keys: {string.Join(", ", allowed)}.", property.Line, property.Column);
            }

            if (!seen.Add(property.Key))
            {
                throw new ModelBuildException("MB2003", path, $"the key '{property.Key}' appears twice {where}; keep one.", property.Line, property.Column);
            }
        }
    }

    private static JsonNode? Find(JsonObject obj, string key) => obj.Properties.FirstOrDefault(p => p.Key == key)?.Value;

    private static string Show(JsonNode node) => node switch
    {
        JsonString s => $"\"{s.Value}\"",
        JsonNumber n => n.Text,
        JsonBool b => b.Value ? "true" : "false",
        _ => node.Kind,
    };

    private static ModelBuildException BadValue(string path, JsonNode node, string reason) =>
        new("MB2003", path, reason + ".", node.Line, node.Column);
}
