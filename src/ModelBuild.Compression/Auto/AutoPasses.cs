using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// A per-layer choice as <c>quantize</c> passes, one per setting in the order the settings first appear in graph
/// order. Auto ships the result of exactly these passes (parsed from the same JSON the pinned manifest carries), so
/// what it reports, what it stores and what the pinned manifest builds are one thing.
/// </summary>
internal static class AutoPasses
{
    /// <summary>The pass objects as JSON, e.g. <c>{ "quantize": { "weights": "int4", "method": "gptq", "layers": ["fc1.weight"] } }</c>.</summary>
    public static IReadOnlyList<string> Json(IReadOnlyList<(string Name, AutoCandidate Setting)> layers) =>
        layers.GroupBy(l => l.Setting).Select(group =>
        {
            var setting = group.Key;
            var granularity = setting.GroupSize == 0 ? "" : $", \"granularity\": \"per-group\", \"groupSize\": {setting.GroupSize}";
            var method = setting.Gptq ? ", \"method\": \"gptq\"" : "";
            var names = string.Join(", ", group.Select(l => PinnedManifest.Quote(l.Name)));
            return $"{{ \"quantize\": {{ \"weights\": \"int{setting.Bits}\"{granularity}{method}, \"layers\": [{names}] }} }}";
        }).ToList();

    /// <summary>Runs the passes on the context (which must hold the weights as they were before the search).</summary>
    public static void Apply(CompressionContext context, IReadOnlyList<string> passes)
    {
        var manifest = CompressionManifest.Parse("{ \"passes\": [" + string.Join(", ", passes) + "] }", context.ManifestPath);
        foreach (var pass in manifest.Passes)
        {
            pass.CreatePass().Apply(context);
        }
    }
}
