using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// A chain of nodes lowered as one op: <see cref="Members"/> (every node of the chain) are skipped, and
/// <see cref="Lowering"/> lowers the chain when the planner reaches <see cref="Anchor"/>, its last node (by then every
/// input of the chain has been computed). The graph is not changed, so the compressed .onnx keeps the original nodes.
/// </summary>
internal sealed record FusedChain(Node Anchor, IReadOnlyList<Node> Members, INodeLowering Lowering);

/// <summary>
/// A subgraph pattern the planner lowers as a whole (see <see cref="PatternFusions"/>), recognised from its first
/// node: every default-domain node of type <see cref="FirstOp"/> is offered to <see cref="Match"/>.
/// </summary>
internal interface IPatternFusion
{
    /// <summary>The ONNX op type that starts the chain.</summary>
    string FirstOp { get; }

    /// <summary>The chain that starts at <paramref name="first"/> with the lowering of the whole chain, or null.</summary>
    FusedChain? Match(LoweringContext c, Node first);
}

/// <summary>The table of pattern fusions, tried before node-by-node lowering.</summary>
internal static class PatternFusions
{
    private static readonly IPatternFusion[] s_fusions =
    [
        new LayerNormFusion(), new HardSwishFusion(), new ConvResidualFusion(),
        new ActivationAffineFusion("HardSwish", Runtime.UnaryFunction.HardSwish), new ActivationAffineFusion("Sigmoid", Runtime.UnaryFunction.Sigmoid),
    ];

    /// <summary>Marks every fused node but the anchors as lowered and returns each anchor's lowering.</summary>
    public static Dictionary<Node, INodeLowering> Apply(LoweringContext c)
    {
        var anchors = new Dictionary<Node, INodeLowering>();
        foreach (var chain in s_fusions.SelectMany(f => Occurrences(c, f)))
        {
            if (chain.Members.Any(m => c.IsFused(m) || anchors.ContainsKey(m)))
            {
                continue; // overlaps a chain found first
            }

            foreach (var member in chain.Members.Where(m => m != chain.Anchor))
            {
                c.MarkFused(member);
            }

            anchors[chain.Anchor] = chain.Lowering;
        }

        return anchors;
    }

    private static IEnumerable<FusedChain> Occurrences(LoweringContext c, IPatternFusion fusion)
    {
        foreach (var node in c.Graph.Nodes)
        {
            if (node.OpType == fusion.FirstOp && node.IsDefaultDomain && fusion.Match(c, node) is { } chain)
            {
                yield return chain;
            }
        }
    }
}
