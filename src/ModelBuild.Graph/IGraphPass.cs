namespace ModelBuild.Graph;

/// <summary>A rewrite of the graph (folding, quantisation, pruning, ...). Passes run one after another.</summary>
public interface IGraphPass
{
    /// <summary>A short name for logs and reports, e.g. <c>fold-batchnorm</c>.</summary>
    string Name { get; }

    /// <summary>Rewrites <paramref name="graph"/> in place and says what changed.</summary>
    PassResult Run(ModelGraph graph);
}

/// <summary>What a pass did: whether anything changed, and a human-readable line per change.</summary>
public sealed record PassResult(bool Changed, IReadOnlyList<string> Notes)
{
    public static PassResult Unchanged { get; } = new(false, Array.Empty<string>());
}
