using System.Globalization;
using System.Text;
using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// The manifest that reproduces auto's result without searching again (<c>&lt;Class&gt;.auto.compress.json</c>): the
/// original manifest minus the search keys, with the passes it ran before the search, then the quantize passes auto
/// applied, and the same <c>validation</c> and <c>tolerance</c>, so a build of it ships the same blob byte for byte
/// and is gated the same way. Data paths become absolute (the file is written next to the outputs).
/// </summary>
internal static class PinnedManifest
{
    private static readonly string[] SearchKeys = ["budget", "candidates", "description", "mode", "passes", "target"];

    /// <param name="manifestPath">The auto manifest (read again for its keys as written).</param>
    /// <param name="addedPasses">The pass objects auto applied, as JSON (<see cref="AutoPasses.Json"/>).</param>
    public static string Write(string manifestPath, IReadOnlyList<string> addedPasses)
    {
        var root = (JsonObject)JsonParser.Parse(File.ReadAllText(manifestPath), manifestPath);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? ".";
        var sb = new StringBuilder("{\n  \"description\": \"chosen by ModelBuild auto mode; pin it by using this file as the manifest\"");
        foreach (var property in root.Properties.Where(p => !SearchKeys.Contains(p.Key, StringComparer.Ordinal)))
        {
            var value = property.Key is "calibration" or "validation" && property.Value is JsonObject data ? Absolute(data, baseDirectory) : property.Value;
            sb.Append(",\n  ").Append(Quote(property.Key)).Append(": ");
            Append(sb, value);
        }

        var earlier = root.Properties.FirstOrDefault(p => p.Key == "passes")?.Value is JsonArray list ? list.Items : [];
        var passes = earlier.Select(p => { var b = new StringBuilder(); Append(b, p); return b.ToString(); }).Concat(addedPasses);
        sb.Append(",\n  \"passes\": [\n    ").Append(string.Join(",\n    ", passes)).Append("\n  ]\n}\n");
        return sb.ToString();
    }

    /// <summary>The data section with its file paths made absolute (synthetic data has none).</summary>
    private static JsonObject Absolute(JsonObject data, string baseDirectory)
    {
        var synthetic = data.Properties.Any(p => p.Key == "format" && p.Value is JsonString { Value: "synthetic" });
        return synthetic ? data : data with
        {
            Properties = data.Properties.Select(p => p.Key is "images" or "labels" && p.Value is JsonString s
                ? p with { Value = s with { Value = Path.GetFullPath(Path.Combine(baseDirectory, s.Value)) } }
                : p).ToList(),
        };
    }

    /// <summary>One JSON value on one line; numbers keep their literal text, so nothing is rounded.</summary>
    private static void Append(StringBuilder sb, JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                sb.Append("{ ");
                for (var i = 0; i < o.Properties.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ", ").Append(Quote(o.Properties[i].Key)).Append(": ");
                    Append(sb, o.Properties[i].Value);
                }

                sb.Append(o.Properties.Count == 0 ? "}" : " }");
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ", ");
                    Append(sb, a.Items[i]);
                }

                sb.Append(']');
                break;
            case JsonString s:
                sb.Append(Quote(s.Value));
                break;
            case JsonNumber n:
                sb.Append(n.Text);
                break;
            case JsonBool b:
                sb.Append(b.Value ? "true" : "false");
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    public static string Quote(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
