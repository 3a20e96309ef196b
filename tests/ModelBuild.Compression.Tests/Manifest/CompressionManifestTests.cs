using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Tests.Manifest;

public sealed class CompressionManifestTests
{
    private const string Path = "models/m.compress.json";

    [Fact]
    public void Data_sections_take_an_offset_so_one_file_gives_a_validation_part_and_a_test_rest()
    {
        var manifest = CompressionManifest.Parse("""
            { "passes": [{ "quantize": {} }], "calibration": { "images": "c.gz", "offset": 100, "count": 50 },
              "validation": { "images": "t.gz", "labels": "l.gz", "count": 5000, "metric": "top1" }, "tolerance": { "maxAccuracyDrop": 0.005 } }
            """, Path);
        Assert.Equal((100, 50), (manifest.Calibration!.Offset, manifest.Calibration.Count));
        Assert.Equal(0, manifest.Validation!.Data.Offset);
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse("""{ "passes": [{ "quantize": {} }], "calibration": { "images": "c.gz", "offset": -5 } }""", Path));
        Assert.Equal(("MB2003", 1), (e.Code, e.Line));
        Assert.Contains("'offset'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_example_parses_to_one_int8_per_channel_symmetric_pass()
    {
        var json = "{\n  \"version\": 1,\n  \"passes\": [\n    { \"quantize\": { \"weights\": \"int8\", \"granularity\": \"per-channel\", \"symmetric\": true } }\n  ]\n}\n";
        var manifest = CompressionManifest.Parse(json, Path);
        var pass = Assert.IsType<QuantizeSpec>(Assert.Single(manifest.Passes));
        Assert.Equal(new QuantizeSpec(WeightType.Int8, QuantGranularity.PerChannel, true), pass);
        Assert.Equal(Path, manifest.Path);
        Assert.Equal(1, manifest.Version);
    }

    [Theory]
    [InlineData("{\"passes\":[{\"quantize\":{}}]}", QuantGranularity.PerChannel, true)]
    [InlineData("{\"passes\":[{\"quantize\":{\"granularity\":\"per-tensor\"}}]}", QuantGranularity.PerTensor, true)]
    [InlineData("{\"passes\":[{\"quantize\":{\"symmetric\":false}}]}", QuantGranularity.PerChannel, false)]
    [InlineData("// comment\n{\"$schema\":\"https://x/s.json\",\"description\":\"d\",/* c */\"passes\":[{\"quantize\":{\"symmetric\":false,\"granularity\":\"per-tensor\",},},],}", QuantGranularity.PerTensor, false)]
    [InlineData("\uFEFF{\"version\":1,\"passes\":[{\"quantize\":{\"weights\":\"int8\"}}]}", QuantGranularity.PerChannel, true)]
    public void Valid_forms_with_defaults_comments_and_trailing_commas(string json, QuantGranularity granularity, bool symmetric)
    {
        var pass = Assert.IsType<QuantizeSpec>(Assert.Single(CompressionManifest.Parse(json, Path).Passes));
        Assert.Equal(new QuantizeSpec(WeightType.Int8, granularity, symmetric), pass);
    }

    [Fact]
    public void Description_is_kept()
    {
        var manifest = CompressionManifest.Parse("{\"description\":\"small \\\"model\\\" \\u00e9\",\"passes\":[{\"quantize\":{}}]}", Path);
        Assert.Equal("small \"model\" é", manifest.Description);
    }

    [Fact]
    public void Default_is_int8_per_channel_symmetric()
    {
        Assert.Equal(new QuantizeSpec(WeightType.Int8, QuantGranularity.PerChannel, true), Assert.Single(CompressionManifest.Default.Passes));
        Assert.Equal("quantize(int8,per-channel,symmetric)", CompressionManifest.Default.Describe());
        Assert.Null(CompressionManifest.Default.Path);
    }

    [Fact]
    public void Describe_names_granularity_and_symmetry()
    {
        var manifest = CompressionManifest.Parse("{\"passes\":[{\"quantize\":{\"granularity\":\"per-tensor\",\"symmetric\":false}},{\"quantize\":{}}]}", Path);
        Assert.Equal("quantize(int8,per-tensor,asymmetric), quantize(int8,per-channel,symmetric)", manifest.Describe());
    }

    [Theory]
    [InlineData("{\"passes\":[],\"extra\":1}", 1, 14, "'extra'")]
    [InlineData("{\n  \"passes\": [\n    { \"quantize\": { \"bits\": 8 } }\n  ]\n}", 3, 21, "'bits'")]
    [InlineData("{\n\t\"Passes\": []\n}", 2, 2, "'Passes'")]
    public void Unknown_key_is_MB2002_at_the_key_and_lists_the_allowed_keys(string json, int line, int column, string named)
    {
        var e = Fails("MB2002", json, line, column);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains("allowed keys:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_top_level_key_message_lists_every_allowed_key()
    {
        var e = Fails("MB2002", "{\"pases\":[]}", 1, 2);
        Assert.Contains("unknown key 'pases' at the top level of the manifest; allowed keys: $schema, budget, calibration, candidates, description, inputs, mode, nonFinite, passes, target, tolerance, validation, version.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_pass_is_MB2002_listing_the_known_passes()
    {
        var e = Fails("MB2002", "{\"passes\": [\n  {\"sparsify\": {}}\n]}", 2, 4);
        Assert.Contains("unknown pass 'sparsify'; known passes: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("quantize", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"int9\"}}]}", 1, 35, "\"int9\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\n  \"granularity\": \"per-row\"}}]}", 2, 18, "\"per-row\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"symmetric\":\"yes\"}}]}", 1, 37, "\"yes\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":8}}]}", 1, 35, "not 8")]
    [InlineData("{\"passes\": {}}", 1, 12, "list")]
    [InlineData("{\"version\": 2, \"passes\":[{\"quantize\":{}}]}", 1, 13, "'version' must be 1")]
    [InlineData("{\"version\": 1.0, \"passes\":[{\"quantize\":{}}]}", 1, 13, "'version' must be 1")]
    [InlineData("{\"version\": \"1\", \"passes\":[{\"quantize\":{}}]}", 1, 13, "'version' must be 1")]
    [InlineData("{\"description\": 3, \"passes\":[{\"quantize\":{}}]}", 1, 17, "'description' must be a string")]
    [InlineData("{\"passes\":[{\"quantize\":{}, \"x\":{}}]}", 1, 12, "exactly one key")]
    [InlineData("{\"passes\":[\"quantize\"]}", 1, 12, "exactly one key")]
    [InlineData("{\"passes\":[{\"quantize\":true}]}", 1, 24, "must be an object")]
    [InlineData("[1]", 1, 1, "must be a JSON object")]
    [InlineData("  {\"version\":1}", 1, 3, "no 'passes'")]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"int8\",\"weights\":\"int8\"}}]}", 1, 42, "appears twice")]
    public void Bad_value_is_MB2003_at_the_value(string json, int line, int column, string mention)
    {
        var e = Fails("MB2003", json, line, column);
        Assert.Contains(mention, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1, 1)]
    [InlineData("{\"passes\": [}", 1, 13)]
    [InlineData("{\n  \"passes\": [\n    {\"quantize\": {}}\n  ]\n  \"version\": 1\n}", 5, 3)]
    [InlineData("{\"passes\": [{\"quantize\": {\"symmetric\": tru}}]}", 1, 40)]
    [InlineData("{\"passes\": 'x'}", 1, 12)]
    [InlineData("{passes: []}", 1, 2)]
    [InlineData("{\"a\": \"unterminated\n}", 1, 20)]
    [InlineData("{\"a\": 01}", 1, 8)]
    [InlineData("{\"a\": -}", 1, 8)]
    [InlineData("{\"a\": \"\\q\"}", 1, 8)]
    [InlineData("{} {}", 1, 4)]
    [InlineData("{\r\n  \"passes\": [\r\n  /* never closed\r\n", 3, 3)]
    [InlineData("{\"passes\": [", 1, 13)]
    public void Invalid_json_is_MB2001_at_the_offending_character(string json, int line, int column) =>
        Fails("MB2001", json, line, column);

    [Fact]
    public void Missing_file_is_MB2004_naming_the_file()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mb-no-such-manifest-" + Guid.NewGuid().ToString("N") + ".json");
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Load(path));
        Assert.Equal("MB2004", e.Code);
        Assert.Equal(path, e.File);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reads_the_file_and_errors_carry_its_path()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mb-manifest-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            File.WriteAllText(path, "{\"passes\":[{\"quantize\":{\"granularity\":\"per-tensor\"}}]}");
            Assert.Equal(QuantGranularity.PerTensor, Assert.IsType<QuantizeSpec>(CompressionManifest.Load(path).Passes[0]).Granularity);
            File.WriteAllText(path, "{\"passes\":[{\"quantize\":{\"granularity\":\"per-tensr\"}}]}");
            var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Load(path));
            Assert.Equal(path, e.File);
            Assert.Equal($"{path}(1,39): error MB2003: {e.Message}", e.ToCanonicalString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ModelBuildException Fails(string code, string json, int line, int column)
    {
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse(json, Path));
        Assert.Equal((code, Path, line, column), (e.Code, e.File, e.Line, e.Column));
        return e;
    }
}
