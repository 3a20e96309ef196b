using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>The readers of the quantisation passes: <c>quantize</c> and <c>palettize</c>.</summary>
internal static partial class ManifestReader
{
    private static readonly string[] QuantizeKeys =
        ["actOrder", "biasCorrection", "blockRefit", "blockSize", "dampening", "exclude", "granularity", "groupSize", "iterations", "layers", "method", "outliers", "symmetric", "weights"];

    private static readonly string[] PalettizeKeys = ["bits", "exclude", "granularity", "init", "int8Grid", "layers", "rowsPerCodebook"];

    static partial void RegisterQuantization(IDictionary<string, Func<JsonObject, string, PassSpec>> table) =>
        table[PalettizeSpec.PassName] = ReadPalettize;

    private static QuantizeSpec ReadQuantize(JsonObject settings, string path)
    {
        CheckKeys(settings, QuantizeKeys, path, "in the 'quantize' pass");
        var weights = ReadEnum(settings, "weights", ManifestNames.WeightTypes, WeightType.Int8, path);
        var granularity = ReadEnum(settings, "granularity", ManifestNames.Granularities, QuantGranularity.PerChannel, path);
        var isFloat = weights is WeightType.Fp16 or WeightType.Bf16;
        if (Find(settings, "groupSize") is { } groupNode && granularity != QuantGranularity.PerGroup)
        {
            throw BadValue(path, groupNode, "'groupSize' applies only with \"granularity\": \"per-group\"");
        }

        var method = ReadEnum(settings, "method", ManifestNames.Methods, QuantMethod.Rtn, path);
        if (isFloat && method != QuantMethod.Rtn)
        {
            throw BadValue(path, Find(settings, "method")!, $"\"method\": \"{ManifestNames.Of(method)}\" needs an integer weight type, not \"{ManifestNames.Of(weights)}\"");
        }

        if (method != QuantMethod.AdaRound && Find(settings, "iterations") is { } iterationsNode)
        {
            throw BadValue(path, iterationsNode, "'iterations' applies only with \"method\": \"adaround\"");
        }

        foreach (var gptqOnly in new[] { "dampening", "blockSize", "actOrder" })
        {
            if (method != QuantMethod.Gptq && Find(settings, gptqOnly) is { } node)
            {
                throw BadValue(path, node, $"'{gptqOnly}' applies only with \"method\": \"gptq\"");
            }
        }

        if (isFloat && Find(settings, "outliers") is { } outlierNode)
        {
            throw BadValue(path, outlierNode, $"'outliers' needs an integer weight type; \"{ManifestNames.Of(weights)}\" has no range to protect");
        }

        return new QuantizeSpec(weights, granularity, ReadBool(settings, "symmetric", true, path))
        {
            GroupSize = ReadInt(settings, "groupSize", 128, 2, 1 << 20, path),
            Method = method,
            Dampening = ReadNumber(settings, "dampening", 0.01, 1e-6, 10, path),
            BlockSize = ReadInt(settings, "blockSize", 128, 1, 1 << 16, path),
            ActOrder = ReadBool(settings, "actOrder", false, path),
            Outliers = ReadNumber(settings, "outliers", 0, 0, 0.2, path),
            BiasCorrection = ReadBool(settings, "biasCorrection", false, path),
            Iterations = ReadInt(settings, "iterations", 500, 1, 100_000, path),
            BlockRefit = ReadBool(settings, "blockRefit", false, path),
            Exclude = ReadStrings(settings, "exclude", path),
            Layers = ReadStrings(settings, "layers", path),
        };
    }

    private static PalettizeSpec ReadPalettize(JsonObject settings, string path)
    {
        CheckKeys(settings, PalettizeKeys, path, "in the 'palettize' pass");
        var bits = Find(settings, "bits") is null
            ? throw BadValue(path, settings, "'palettize' needs \"bits\": 1 to 8 (the codebook has 2^bits entries)")
            : ReadInt(settings, "bits", 4, 1, 8, path);
        var perTensor = ReadEnum(settings, "granularity", [("per-tensor", true), ("per-channel-group", false)], true, path);
        if (perTensor && Find(settings, "rowsPerCodebook") is { } rowsNode)
        {
            throw BadValue(path, rowsNode, "'rowsPerCodebook' applies only with \"granularity\": \"per-channel-group\"");
        }

        return new PalettizeSpec(bits, perTensor ? 0 : ReadInt(settings, "rowsPerCodebook", 16, 1, 1 << 20, path),
            ReadEnum(settings, "init", ManifestNames.PaletteInits, PaletteInit.Linear, path))
        {
            Exclude = ReadStrings(settings, "exclude", path),
            Layers = ReadStrings(settings, "layers", path),
            Int8Grid = Find(settings, "int8Grid") is null ? null : ReadBool(settings, "int8Grid", bits == 4, path),
        };
    }
}
