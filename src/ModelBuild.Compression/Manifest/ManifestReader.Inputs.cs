namespace ModelBuild.Compression.Manifest;

internal static partial class ManifestReader
{
    /// <summary>
    /// <c>"inputs": { "x": [1, 3, 48, "width"] }</c>: per graph input, one entry per dim: a number pins it, a string
    /// (any symbol name, or "?") keeps it dynamic.
    /// </summary>
    private static Dictionary<string, int[]> ReadInputs(JsonNode node, string path)
    {
        var obj = node as JsonObject ?? throw BadValue(path, node, $"'inputs' must be an object of input name → dims, not {node.Kind}");
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var property in obj.Properties)
        {
            var dims = property.Value as JsonArray
                ?? throw BadValue(path, property.Value, $"'inputs.{property.Key}' must be a list of dims such as [1, 3, 48, \"width\"], not {property.Value.Kind}");
            result[property.Key] = dims.Items.Select(d => d switch
            {
                JsonNumber n when n.Value is >= 0 and <= int.MaxValue && n.Value == Math.Floor(n.Value) => (int)n.Value,
                JsonString => -1,
                _ => throw BadValue(path, d, $"a dim of 'inputs.{property.Key}' must be a whole number ≥ 0 or a name (kept dynamic), not {Show(d)}"),
            }).ToArray();
        }

        return result;
    }
}
