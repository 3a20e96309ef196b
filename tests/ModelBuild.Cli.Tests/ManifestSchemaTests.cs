using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace ModelBuild.Cli.Tests;

/// <summary>docs/modelbuild.schema.json (also in the package under schema/) against the samples and the manifest reader.</summary>
public sealed class ManifestSchemaTests
{
    private static readonly string s_schemaPath = Path.Combine(TestPaths.RepoRoot, "docs", "modelbuild.schema.json");
    private static readonly JsonDocumentOptions s_lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The samples' manifests and the <c>dotnet new</c> templates' ones.</summary>
    public static IEnumerable<object[]> SampleManifests() =>
        new[] { "samples", "templates" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, folder), "*.compress.json", SearchOption.AllDirectories))
            .Select(f => new object[] { Path.GetRelativePath(TestPaths.RepoRoot, f) });

    [Theory]
    [MemberData(nameof(SampleManifests))]
    public void EverySampleManifest_ReferencesAndSatisfiesTheSchema(string relativePath)
    {
        var path = Path.Combine(TestPaths.RepoRoot, relativePath);
        using var manifest = JsonDocument.Parse(File.ReadAllText(path), s_lenient);

        // Samples point into docs/; a template's manifest names the copy that ModelBuild.Templates packs beside it
        // (the integration test checks that the instantiated project has it, byte for byte).
        var reference = manifest.RootElement.GetProperty("$schema").GetString()!;
        var expected = relativePath.StartsWith("templates", StringComparison.Ordinal)
            ? Path.Combine(Path.GetDirectoryName(path)!, "modelbuild.schema.json")
            : s_schemaPath;
        Assert.Equal(Path.GetFullPath(expected), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference)));
        var result = Schema().Evaluate(manifest.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Theory]
    [InlineData("""{ "passes": [ { "quantize": { "colour": 4 } } ] }""")]
    [InlineData("""{ "pases": [] }""")]
    [InlineData("""{ "passes": [ { "quantize": { "weights": "int7" } } ] }""")]
    [InlineData("""{ "passes": [], "tolerance": { "minCosine": 0.9, "minAgreement": 0.9 } }""")]
    public void Mistakes_TheReaderRejects_TheSchemaRejectsToo(string json)
    {
        using var manifest = JsonDocument.Parse(json);
        Assert.False(Schema().Evaluate(manifest.RootElement).IsValid);
    }

    [Fact]
    public void TheSchema_KnowsEveryKeyTheManifestReaderAccepts()
    {
        var schema = JsonNode.Parse(File.ReadAllText(s_schemaPath))!;
        var defs = schema["$defs"]!;
        var passes = defs["pass"]!["properties"]!.AsObject();
        var reader = typeof(ModelBuild.Compression.Manifest.CompressionManifest).Assembly.GetType("ModelBuild.Compression.Manifest.ManifestReader", throwOnError: true)!;
        string[] Keys(string field) => (string[])reader.GetField(field, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        IEnumerable<string> Properties(JsonNode node) => node["properties"]!.AsObject().Select(p => p.Key);

        Assert.Equal(Keys("TopLevelKeys").Order(), Properties(schema).Order());
        Assert.Equal(Keys("CalibrationKeys").Order(), Properties(defs["dataset"]!).Order());
        Assert.Equal(Keys("ValidationKeys").Order(), Properties(defs["dataset"]!).Concat(Properties(schema["properties"]!["validation"]!)).Order());
        Assert.Equal(ModelBuild.Compression.Manifest.ToleranceSpec.Keys.Order(), Properties(schema["properties"]!["tolerance"]!).Order());

        var readers = (System.Collections.IDictionary)reader.GetField("PassReaders", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(readers.Keys.Cast<string>().Order(), passes.Select(p => p.Key).Order());
        foreach (var (pass, field) in new[] { ("quantize", "QuantizeKeys"), ("palettize", "PalettizeKeys"), ("prune", "PruneKeys"),
            ("prune-structured", "StructuredKeys"), ("lowrank", "LowRankKeys"), ("entropy", "EntropyKeys"),
            ("awq", "AwqKeys"), ("smoothquant", "SmoothQuantKeys") })
        {
            Assert.Equal(Keys(field).Order(), Properties(passes[pass]!).Order());
        }
    }

    private static JsonSchema Schema() => JsonSchema.FromText(File.ReadAllText(s_schemaPath));
}
