using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Methods.Pruning;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// A manifest's <c>exclude</c> / <c>layers</c> use the names <c>inspect</c> prints (the ONNX initializers); BatchNorm
/// folding renames the weight it folds into (<c>WA</c> → <c>WA_bnfold</c>), and the name must still find it.
/// </summary>
public sealed class LayerNameTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-names-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Exclude_by_the_original_name_keeps_a_bn_folded_weight_exact()
    {
        var report = File.ReadAllText(Build("""{ "passes": [{ "quantize": { "weights": "int4", "exclude": ["WA"] } }] }""").ReportPath);

        Assert.Matches(@"\| `WA_bnfold` \|(?: [A-Za-z]+ \|)? [\d×]+ \| [\d,]+ \| float32 \|", report);
        Assert.Matches(@"\| `WG` \|(?: [A-Za-z]+ \|)? [\d×]+ \| [\d,]+ \| int4", report); // the rest is quantised
    }

    [Fact]
    public void Layers_by_the_original_name_select_a_bn_folded_weight()
    {
        var report = File.ReadAllText(Build("""{ "passes": [{ "prune-structured": { "fraction": 0.5, "layers": ["WA"] } }, { "quantize": { "weights": "int8", "layers": ["WA"] } }] }""").ReportPath);

        Assert.Matches(@"\| `WA_bnfold` \|(?: [A-Za-z]+ \|)? 2×3×3×3 \| 54 \| int8", report); // pruned to half its 4 filters, then quantised
        Assert.Matches(@"\| `WG` \|(?: [A-Za-z]+ \|)? [\d×]+ \| [\d,]+ \| float32 \|", report);
    }

    [Theory]
    [InlineData("""{ "quantize": { "exclude": ["WZ"] } }""", "exclude")]
    [InlineData("""{ "lowrank": { "rank": 2, "layers": ["WZ"] } }""", "layers")]
    [InlineData("""{ "prune": { "sparsity": 0.5, "exclude": ["WZ"] } }""", "exclude")]
    public void A_name_that_matches_no_layer_is_MB2003_listing_the_known_names(string pass, string key)
    {
        var e = Assert.Throws<ModelBuildException>(() => Build($$"""{ "passes": [{{pass}}] }"""));

        Assert.Equal("MB2003", e.Code);
        Assert.Contains($"'{key}' names \"WZ\", which matches no layer", e.Message);
        Assert.All(new[] { "WA", "WD", "WB", "WG" }, name => Assert.Contains(name, e.Message, StringComparison.Ordinal)); // inspect's names
        Assert.DoesNotContain("WA_bnfold", e.Message, StringComparison.Ordinal);
    }

    private CompressionResult Build(string manifest)
    {
        var model = Path.Combine(_dir, "bn.onnx");
        File.WriteAllBytes(model, OnnxExporter.ToBytes(ChannelTracerTests.Build()));
        var path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, manifest);
        return CompressionPipeline.Run(new CompressionRequest(model, path, "Bn", "", Path.Combine(_dir, "out"), "r"), TestServices.Default);
    }
}
