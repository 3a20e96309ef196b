using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Tests.Methods.Quantization;

public sealed class QuantizationManifestTests
{
    private const string Path = "models/m.compress.json";

    [Fact]
    public void Empty_quantize_is_still_int8_per_channel_symmetric_rtn()
    {
        var spec = Assert.IsType<QuantizeSpec>(Assert.Single(CompressionManifest.Parse("""{"passes":[{"quantize":{}}]}""", Path).Passes));
        Assert.Equal(new QuantizeSpec(WeightType.Int8, QuantGranularity.PerChannel, true), spec);
        Assert.Equal((QuantMethod.Rtn, 128, 0.0, false, 0), (spec.Method, spec.GroupSize, spec.Outliers, spec.BiasCorrection, spec.Exclude.Count));
        Assert.Equal("quantize(int8,per-channel,symmetric)", spec.Describe());
    }

    [Theory]
    [InlineData("int8", WeightType.Int8, 8)]
    [InlineData("int4", WeightType.Int4, 4)]
    [InlineData("int3", WeightType.Int3, 3)]
    [InlineData("int2", WeightType.Int2, 2)]
    [InlineData("ternary", WeightType.Ternary, 2)]
    [InlineData("fp16", WeightType.Fp16, 16)]
    [InlineData("bf16", WeightType.Bf16, 16)]
    public void Every_weight_type_parses(string name, WeightType type, int bits)
    {
        var spec = Parse($$"""{"weights":"{{name}}"}""");
        Assert.Equal((type, bits), (spec.Weights, spec.Bits));
    }

    [Fact]
    public void Every_gptq_option_parses()
    {
        var spec = Parse("""
            {"weights":"int4","granularity":"per-group","groupSize":64,"symmetric":false,"method":"gptq","dampening":0.05,
             "blockSize":32,"actOrder":true,"outliers":0.005,"biasCorrection":true,"exclude":["net.6.weight","Conv"]}
            """);
        Assert.Equal(
            (WeightType.Int4, QuantGranularity.PerGroup, 64, false, QuantMethod.Gptq, 0.05, 32, true, 0.005, true),
            (spec.Weights, spec.Granularity, spec.GroupSize, spec.Symmetric, spec.Method, spec.Dampening, spec.BlockSize, spec.ActOrder, spec.Outliers, spec.BiasCorrection));
        Assert.Equal(["net.6.weight", "Conv"], spec.Exclude);
        Assert.Equal("quantize(int4,per-group=64,asymmetric,gptq(damp=0.05,block=32,act-order),outliers=0.005,bias-correction,exclude=net.6.weight|Conv)", spec.Describe());
        Assert.Equal(spec, Parse("""{"weights":"int4","granularity":"per-group","groupSize":64,"symmetric":false,"method":"gptq","dampening":0.05,"blockSize":32,"actOrder":true,"outliers":0.005,"biasCorrection":true,"exclude":["net.6.weight","Conv"]}"""));
    }

    [Fact]
    public void Per_group_defaults_to_128_and_gptq_to_the_papers_settings()
    {
        var spec = Parse("""{"granularity":"per-group","method":"gptq"}""");
        Assert.Equal((128, 0.01, 128, false), (spec.GroupSize, spec.Dampening, spec.BlockSize, spec.ActOrder));
    }

    [Fact]
    public void Palettize_options_parse_with_defaults()
    {
        var spec = Assert.IsType<PalettizeSpec>(Assert.Single(CompressionManifest.Parse("""{"passes":[{"palettize":{"bits":3}}]}""", Path).Passes));
        Assert.Equal(new PalettizeSpec(3, 0, PaletteInit.Linear), spec);
        var grouped = Assert.IsType<PalettizeSpec>(Assert.Single(CompressionManifest.Parse(
            """{"passes":[{"palettize":{"bits":8,"granularity":"per-channel-group","rowsPerCodebook":4,"init":"density","exclude":["Gemm"]}}]}""", Path).Passes));
        Assert.Equal((8, 4, PaletteInit.Density, "Gemm"), (grouped.Bits, grouped.RowsPerCodebook, grouped.Init, Assert.Single(grouped.Exclude)));
        Assert.Equal("palettize(8-bit,per-4-rows,density,exclude=Gemm)", grouped.Describe());
        Assert.Equal(16, Assert.IsType<PalettizeSpec>(CompressionManifest.Parse("""{"passes":[{"palettize":{"bits":2,"granularity":"per-channel-group"}}]}""", Path).Passes[0]).RowsPerCodebook);
    }

    [Theory]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"int9\"}}]}", "MB2003", 1, 35, "'weights' must be one of")]
    [InlineData("{\"passes\":[{\"quantize\":{\n\"method\":\"awq\"}}]}", "MB2003", 2, 10, "\"rtn\", \"gptq\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"groupSize\":64}}]}", "MB2003", 1, 37, "only with \"granularity\": \"per-group\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"granularity\":\"per-group\",\"groupSize\":1}}]}", "MB2003", 1, 63, "'groupSize' must be a whole number from 2")]
    [InlineData("{\"passes\":[{\"quantize\":{\"granularity\":\"per-group\",\"groupSize\":12.5}}]}", "MB2003", 1, 63, "whole number")]
    [InlineData("{\"passes\":[{\"quantize\":{\"dampening\":0.1}}]}", "MB2003", 1, 37, "only with \"method\": \"gptq\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"actOrder\":true}}]}", "MB2003", 1, 36, "only with \"method\": \"gptq\"")]
    [InlineData("{\"passes\":[{\"quantize\":{\"method\":\"gptq\",\"blockSize\":0}}]}", "MB2003", 1, 53, "'blockSize' must be a whole number")]
    [InlineData("{\"passes\":[{\"quantize\":{\"method\":\"gptq\",\"dampening\":-1}}]}", "MB2003", 1, 53, "'dampening' must be a number")]
    [InlineData("{\"passes\":[{\"quantize\":{\"method\":\"gptq\",\"actOrder\":1}}]}", "MB2003", 1, 52, "true or false")]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"fp16\",\"method\":\"gptq\"}}]}", "MB2003", 1, 51, "needs an integer weight type")]
    [InlineData("{\"passes\":[{\"quantize\":{\"weights\":\"bf16\",\"outliers\":0.01}}]}", "MB2003", 1, 53, "'outliers' needs an integer")]
    [InlineData("{\"passes\":[{\"quantize\":{\"outliers\":0.5}}]}", "MB2003", 1, 36, "'outliers' must be a number from 0 to 0.2")]
    [InlineData("{\"passes\":[{\"quantize\":{\"biasCorrection\":\"yes\"}}]}", "MB2003", 1, 42, "true or false")]
    [InlineData("{\"passes\":[{\"quantize\":{\"exclude\":\"net.0.weight\"}}]}", "MB2003", 1, 35, "list of strings")]
    [InlineData("{\"passes\":[{\"quantize\":{\n  \"outlier\":0.01}}]}", "MB2002", 2, 3, "unknown key 'outlier'")]
    [InlineData("{\"passes\":[{\"palettize\":{}}]}", "MB2003", 1, 25, "needs \"bits\"")]
    [InlineData("{\"passes\":[{\"palettize\":{\"bits\":9}}]}", "MB2003", 1, 33, "'bits' must be a whole number from 1 to 8")]
    [InlineData("{\"passes\":[{\"palettize\":{\"bits\":4,\"rowsPerCodebook\":4}}]}", "MB2003", 1, 53, "only with \"granularity\": \"per-channel-group\"")]
    [InlineData("{\"passes\":[{\"palettize\":{\"bits\":4,\"granularity\":\"per-channel\"}}]}", "MB2003", 1, 49, "\"per-tensor\", \"per-channel-group\"")]
    [InlineData("{\"passes\":[{\"palettize\":{\"bits\":4,\"init\":\"random\"}}]}", "MB2003", 1, 42, "\"linear\", \"density\"")]
    [InlineData("{\"passes\":[{\"palettize\":{\"bits\":4,\"seed\":1}}]}", "MB2002", 1, 35, "unknown key 'seed'")]
    public void Bad_options_fail_with_code_line_and_column(string json, string code, int line, int column, string message)
    {
        var e = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse(json, Path));
        Assert.Equal((code, Path, line, column), (e.Code, e.File, e.Line, e.Column));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static QuantizeSpec Parse(string settings) =>
        Assert.IsType<QuantizeSpec>(Assert.Single(CompressionManifest.Parse($$"""{"passes":[{"quantize":{{settings}}}]}""", Path).Passes));
}
