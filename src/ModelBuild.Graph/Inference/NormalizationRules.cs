namespace ModelBuild.Graph.Inference;

/// <summary>The normalisation operators: the output has the input's shape; LayerNormalization's statistics keep the leading dims.</summary>
internal static class NormalizationRules
{
    private static readonly string[] s_sameShape =
        ["InstanceNormalization", "GroupNormalization", "LpNormalization", "MeanVarianceNormalization", "LRN"];

    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in s_sameShape)
        {
            rules[op] = c => c.Set(0, c.Type(0), c.Shape(0));
        }

        rules["LayerNormalization"] = LayerNormalization;
    }

    /// <summary>Y: X's shape; Mean and InvStdDev: X's shape with the normalised dims (axis on) set to 1, of the stash type.</summary>
    private static void LayerNormalization(NodeContext c)
    {
        var x = c.Shape(0);
        c.Set(0, c.Type(0), x);
        var stash = (DataType)c.Node.GetInt("stash_type", (long)DataType.Float);
        TensorShape? stats = null;
        var axis = c.Node.GetInt("axis", -1);
        if (x is not null)
        {
            var first = axis < 0 ? axis + x.Rank : axis;
            if (first < 0 || first >= x.Rank)
            {
                throw c.Fail($"axis {axis} is outside the input's rank {x.Rank}");
            }

            stats = new TensorShape(x.Select((d, i) => i < first ? d : Dim.Of(1)));
        }

        c.Set(1, stash, stats);
        c.Set(2, stash, stats);
    }
}
