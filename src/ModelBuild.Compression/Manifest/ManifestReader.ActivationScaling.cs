using ModelBuild.Compression.Passes.ActivationScaling;
using ModelBuild.Compression.Quantization;

namespace ModelBuild.Compression.Manifest;

/// <summary>Readers of the activation-scaling passes: <c>awq</c> and <c>smoothquant</c>.</summary>
internal static partial class ManifestReader
{
    // Written out rather than built from QuantizeKeys: static fields of a partial class in other files may not be set yet.
    private static readonly string[] AwqKeys =
        ["actOrder", "biasCorrection", "blockSize", "dampening", "exclude", "granularity", "grid", "groupSize", "layers", "method", "outliers", "symmetric", "weights"];

    private static readonly string[] SmoothQuantKeys = ["alpha", "exclude", "layers"];

    static partial void RegisterActivationScaling(IDictionary<string, Func<JsonObject, string, PassSpec>> table)
    {
        table[AwqSpec.PassName] = ReadAwq;
        table[SmoothQuantSpec.PassName] = ReadSmoothQuant;
    }

    /// <summary><c>awq</c> takes the <c>quantize</c> keys (defaults int4, per-group of 128, as in the paper) and <c>grid</c>.</summary>
    private static AwqSpec ReadAwq(JsonObject settings, string path)
    {
        CheckKeys(settings, AwqKeys, path, "in the 'awq' pass");
        var grid = ReadInt(settings, "grid", 20, 1, 1000, path);
        var quantize = settings.Properties.Where(p => p.Key != "grid").ToList();
        if (Find(settings, "weights") is null)
        {
            quantize.Add(new JsonProperty("weights", settings.Line, settings.Column, new JsonString("int4", settings.Line, settings.Column)));
        }

        if (Find(settings, "granularity") is null)
        {
            quantize.Add(new JsonProperty("granularity", settings.Line, settings.Column, new JsonString("per-group", settings.Line, settings.Column)));
        }

        var spec = ReadQuantize(new JsonObject(quantize, settings.Line, settings.Column), path);
        if (spec.Weights is WeightType.Fp16 or WeightType.Bf16)
        {
            throw BadValue(path, Find(settings, "weights")!, $"'awq' scales weights for an integer grid; \"{ManifestNames.Of(spec.Weights)}\" has none (use int8 … int2)");
        }

        return new AwqSpec(spec, grid);
    }

    private static SmoothQuantSpec ReadSmoothQuant(JsonObject settings, string path)
    {
        CheckKeys(settings, SmoothQuantKeys, path, "in the 'smoothquant' pass");
        return new SmoothQuantSpec(ReadNumber(settings, "alpha", 0.5, 0, 1, path), ReadStrings(settings, "exclude", path), ReadStrings(settings, "layers", path));
    }
}
