namespace ModelBuild.Graph.Inference;

/// <summary>Reduce*, ArgMax/ArgMin, TopK and CumSum.</summary>
internal static class ReductionRules
{
    private static readonly string[] s_reduce =
    [
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceSumSquare",
    ];

    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        foreach (var op in s_reduce)
        {
            rules[op] = Reduce;
        }

        rules["ArgMax"] = ArgReduce;
        rules["ArgMin"] = ArgReduce;
        rules["TopK"] = TopK;
        rules["CumSum"] = c => c.Set(0, c.Type(0), c.Shape(0));
    }

    private static void Reduce(NodeContext c)
    {
        // Axes: the second input (ReduceSum-13, the others from 18) or the attribute; unknown when computed.
        var axes = c.HasInput(1) ? c.Constants(1) : c.Node.GetInts("axes") ?? [];
        if (c.Shape(0) is not { } x || axes is null)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var keep = c.Node.GetInt("keepdims", 1) != 0;
        var reduced = new bool[x.Rank];
        if (axes.Length == 0 && c.Node.GetInt("noop_with_empty_axes", 0) == 0)
        {
            Array.Fill(reduced, true);
        }

        foreach (var axis in axes)
        {
            reduced[c.Axis(axis, x.Rank)] = true;
        }

        c.Set(0, c.Type(0), Remove(x, reduced, keep));
    }

    private static void ArgReduce(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, DataType.Int64, null);
            return;
        }

        var reduced = new bool[x.Rank];
        reduced[c.Axis(c.Node.GetInt("axis", 0), x.Rank)] = true;
        c.Set(0, DataType.Int64, Remove(x, reduced, c.Node.GetInt("keepdims", 1) != 0));
    }

    private static void TopK(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, c.Type(0), null);
            c.Set(1, DataType.Int64, null);
            return;
        }

        var k = c.HasInput(1) ? c.Constants(1) is [var kv] ? Dim.Of(kv) : Dim.Unknown
            : c.Node.GetInt("k", -1) is >= 0 and var ka ? Dim.Of(ka) : Dim.Unknown;
        var dims = x.ToArray<Dim>();
        dims[c.Axis(c.Node.GetInt("axis", -1), x.Rank)] = k;
        c.Set(0, c.Type(0), new TensorShape(dims));
        c.Set(1, DataType.Int64, new TensorShape(dims));
    }

    /// <summary>The shape with the reduced axes set to 1 (<paramref name="keep"/>) or removed.</summary>
    private static TensorShape Remove(TensorShape x, bool[] reduced, bool keep) =>
        new(x.Select((d, i) => (d, i)).Where(p => keep || !reduced[p.i]).Select(p => reduced[p.i] ? Dim.Of(1) : p.d));
}
