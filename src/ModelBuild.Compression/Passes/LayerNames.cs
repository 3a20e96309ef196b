namespace ModelBuild.Compression.Passes;

/// <summary>How a manifest's <c>layers</c> / <c>exclude</c> names find layers, and the error when one finds none.</summary>
internal static class LayerNames
{
    /// <summary>
    /// True when <paramref name="name"/> is the layer's weight name, the name it had in the original file (before BN
    /// folding or low-rank renamed it; what <c>inspect</c> prints), its node's name or its op type.
    /// </summary>
    public static bool Matches(LayerWeight layer, string name) =>
        name == layer.Name || name == layer.OriginalName || (layer.Node.Name.Length > 0 && name == layer.Node.Name) || name == layer.Node.OpType;

    /// <summary>
    /// MB2003 naming the first of <paramref name="names"/> that matches none of <paramref name="layers"/>, with the
    /// names that would: a typo or a stale name would otherwise silently select nothing (or exclude nothing).
    /// </summary>
    public static void RequireKnown(CompressionContext context, IReadOnlyList<LayerWeight> layers, IReadOnlyList<string> names, string key)
    {
        foreach (var name in names)
        {
            if (!layers.Any(l => Matches(l, name)))
            {
                var known = layers.Select(l => l.OriginalName).Concat(layers.Select(l => l.Node.Name).Where(n => n.Length > 0)).Concat(layers.Select(l => l.Node.OpType))
                    .Distinct(StringComparer.Ordinal);
                throw new ModelBuildException("MB2003", context.ManifestPath,
                    $"'{key}' names \"{name}\", which matches no layer weight of the model; known names (weights as `inspect` prints them, node names, op types): {string.Join(", ", known)}.");
            }
        }
    }
}
