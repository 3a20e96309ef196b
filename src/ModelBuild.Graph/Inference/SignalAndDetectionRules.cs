namespace ModelBuild.Graph.Inference;

/// <summary>Einsum, Det, the cosine windows and NonMaxSuppression.</summary>
internal static class SignalAndDetectionRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Einsum"] = Einsum;
        rules["Det"] = c => c.Set(0, c.Type(0), c.Shape(0) is { Rank: >= 2 } x ? new TensorShape(x.Take(x.Rank - 2)) : null);
        rules["HannWindow"] = Window;
        rules["HammingWindow"] = Window;
        rules["BlackmanWindow"] = Window;

        // [num_selected, 3]: the count depends on the scores.
        rules["NonMaxSuppression"] = c => c.Set(0, DataType.Int64, TensorShape.Of(Dim.Unknown, Dim.Of(3)));
    }

    private static void Einsum(NodeContext c)
    {
        var shapes = Enumerable.Range(0, c.InputCount).Select(c.Shape).ToList();
        if (shapes.Any(s => s is null))
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        EinsumEquation equation;
        try
        {
            equation = EinsumEquation.Parse(c.Node.GetString("equation", ""), shapes.Select(s => s!.Rank).ToList());
        }
        catch (FormatException e)
        {
            throw c.Fail(e.Message);
        }

        // A label's size: any operand's dim that is not 1 (1 broadcasts); unknown when only symbols are seen.
        var dims = new Dim?[equation.LabelCount];
        for (var t = 0; t < shapes.Count; t++)
        {
            for (var d = 0; d < shapes[t]!.Rank; d++)
            {
                var dim = shapes[t]![d];
                ref var known = ref dims[equation.Operands[t][d]];
                if (known is null || known == Dim.Of(1) || (!known.Value.IsKnown && dim.IsKnown && dim != Dim.Of(1)))
                {
                    known = dim;
                }
            }
        }

        c.Set(0, c.Type(0), new TensorShape(equation.Output.Select(l => dims[l] ?? Dim.Of(1))));
    }

    private static void Window(NodeContext c)
    {
        var type = (DataType)c.Node.GetInt("output_datatype", 1);
        var size = c.Constants(0) is [var n] ? Dim.Of(n) : Dim.Unknown;
        c.Set(0, type, TensorShape.Of(size));
    }
}
