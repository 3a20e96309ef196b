using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// A per-layer choice as manifest passes: first one <c>lowrank</c> pass per rank (with reconstruction; the later
/// passes name the layer and so reach both factors), one <c>prune</c> pass per sparsity (magnitude within each layer, 3
/// rounds with reconstruction, the other layers excluded), then one <c>quantize</c> or <c>palettize</c> pass per
/// setting, in the order the settings first appear in graph order. Auto ships the result of exactly these passes
/// (parsed from the same JSON the pinned manifest carries), so what it reports, what it stores and what the pinned
/// manifest builds are one thing.
/// </summary>
internal static class AutoPasses
{
    /// <summary>Rounds of the pruning passes auto writes (each followed by reconstruction), as the manual recipes use.</summary>
    public const int PruneRounds = 3;

    /// <summary>The pass objects as JSON, e.g. <c>{ "quantize": { "weights": "int4", "method": "gptq", "layers": ["fc1.weight"] } }</c>.</summary>
    /// <param name="layers">The layers to compress, with their settings.</param>
    /// <param name="allLayers">Every layer name (the prune passes exclude those not pruned at their sparsity); default: <paramref name="layers"/>' names.</param>
    /// <param name="pruneRounds">Pruning rounds (each followed by reconstruction).</param>
    public static IReadOnlyList<string> Json(IReadOnlyList<(string Name, AutoCandidate Setting)> layers, IReadOnlyList<string>? allLayers = null, int pruneRounds = PruneRounds)
    {
        var lowRanks = layers.Where(l => l.Setting.Rank > 0).GroupBy(l => l.Setting.Rank).Select(group =>
            $"{{ \"lowrank\": {{ \"rank\": {group.Key}, \"layers\": [{string.Join(", ", group.Select(l => PinnedManifest.Quote(l.Name)))}], \"reconstruct\": true }} }}");
        return lowRanks.Concat(Prunes(layers, allLayers, pruneRounds)).Concat(Weights(layers)).ToList();
    }

    /// <summary>The <c>prune</c> passes of a choice alone: one per sparsity, the layers not pruned at it excluded.</summary>
    public static IEnumerable<string> Prunes(IReadOnlyList<(string Name, AutoCandidate Setting)> layers, IReadOnlyList<string>? allLayers = null, int pruneRounds = PruneRounds)
    {
        allLayers ??= layers.Select(l => l.Name).ToList();
        return layers.Where(l => l.Setting.Sparsity > 0).GroupBy(l => l.Setting.Sparsity).Select(group =>
        {
            var others = string.Join(", ", allLayers.Where(name => !group.Any(l => l.Name == name)).Select(PinnedManifest.Quote));
            return FormattableString.Invariant($"{{ \"prune\": {{ \"method\": \"magnitude\", \"sparsity\": {group.Key}, \"scope\": \"per-layer\", \"rounds\": {pruneRounds}, \"reconstruct\": true")
                + (others.Length > 0 ? $", \"exclude\": [{others}]" : "") + " } }";
        }).ToList();
    }

    /// <summary>
    /// Global magnitude pruning of every layer to <paramref name="sparsity"/> (one threshold on the trained magnitudes
    /// across layers, so each layer loses what the ranking gives it), in <see cref="PruneRounds"/> rounds with reconstruction.
    /// </summary>
    public static string GlobalPrune(double sparsity) => FormattableString.Invariant(
        $"{{ \"prune\": {{ \"method\": \"magnitude\", \"sparsity\": {sparsity}, \"scope\": \"global\", \"rounds\": {PruneRounds}, \"reconstruct\": true }} }}");

    /// <summary>The <c>quantize</c>/<c>palettize</c> passes of a choice alone (sparsity and rank ignored): one per setting, in order of first appearance.</summary>
    public static IEnumerable<string> Weights(IReadOnlyList<(string Name, AutoCandidate Setting)> layers) =>
        layers.GroupBy(l => l.Setting with { Sparsity = 0, Rank = 0 }).Select(group =>
        {
            var setting = group.Key;
            var names = string.Join(", ", group.Select(l => PinnedManifest.Quote(l.Name)));
            if (setting.Palette)
            {
                return $"{{ \"palettize\": {{ \"bits\": {setting.Bits}, \"layers\": [{names}] }} }}";
            }

            var granularity = setting.GroupSize == 0 ? "" : $", \"granularity\": \"per-group\", \"groupSize\": {setting.GroupSize}";
            var method = setting.Gptq ? ", \"method\": \"gptq\"" : "";
            return $"{{ \"quantize\": {{ \"weights\": \"int{setting.Bits}\"{granularity}{method}, \"layers\": [{names}] }} }}";
        }).ToList();

    /// <summary>Runs the passes on the context (which must hold the weights as they were before the search).</summary>
    public static void Apply(CompressionContext context, IReadOnlyList<string> passes)
    {
        var manifest = CompressionManifest.Parse("{ \"passes\": [" + string.Join(", ", passes) + "] }", context.ManifestPath);
        foreach (var pass in manifest.Passes)
        {
            pass.CreatePass().Apply(context);
            Graph.Inference.ShapeInference.Run(context.Graph); // as the pipeline does after each pass (low rank adds values)
        }
    }
}
