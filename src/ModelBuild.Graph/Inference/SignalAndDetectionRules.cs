namespace ModelBuild.Graph.Inference;

/// <summary>Einsum, Det, the cosine windows, DFT, STFT, MelWeightMatrix and NonMaxSuppression.</summary>
internal static class SignalAndDetectionRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Einsum"] = Einsum;
        rules["Det"] = c => c.Set(0, c.Type(0), c.Shape(0) is { Rank: >= 2 } x ? new TensorShape(x.Take(x.Rank - 2)) : null);
        rules["HannWindow"] = Window;
        rules["HammingWindow"] = Window;
        rules["BlackmanWindow"] = Window;
        rules["DFT"] = Dft;
        rules["STFT"] = Stft;
        rules["MelWeightMatrix"] = c => c.Set(0, (DataType)c.Node.GetInt("output_datatype", 1),
            TensorShape.Of(c.Constants(1) is [var n] ? Dim.Of((n / 2) + 1) : Dim.Unknown, c.Constants(0) is [var m] ? Dim.Of(m) : Dim.Unknown));

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

    private static void Dft(NodeContext c)
    {
        if (c.Shape(0) is not { Rank: >= 2 } x)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        long? axis = c.Opset >= 20 ? (c.HasInput(2) ? (c.Constants(2) is [var a] ? a : null) : -2) : c.Node.GetInt("axis", 1);
        var dims = x.ToArray<Dim>();
        dims[^1] = Dim.Of(2);
        if (axis is not { } given || DimMath.Axis(given, x.Rank) is not { } at || at == x.Rank - 1)
        {
            c.Set(0, c.Type(0), new TensorShape(dims.Select((d, i) => i == dims.Length - 1 ? d : Dim.Unknown)));
            return;
        }

        var length = c.HasInput(1) ? (c.Constants(1) is [var n] ? Dim.Of(n) : Dim.Unknown) : x[at];
        dims[at] = c.Node.GetInt("onesided", 0) != 0 ? (length.Value is { } v ? Dim.Of((v / 2) + 1) : Dim.Unknown) : length;
        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static void Stft(NodeContext c)
    {
        var x = c.Shape(0);
        var frameLength = c.Shape(2) is { Rank: 1 } w ? w[0].Value : c.Constants(3) is [var f] ? f : null;
        var step = c.Constants(1) is [var s] ? s : (long?)null;
        var frames = x is { Rank: 3 } && x[1].Value is { } length && frameLength is { } fl && step is > 0 && length >= fl
            ? Dim.Of(1 + ((length - fl) / step.Value)) : Dim.Unknown;
        var bins = frameLength is { } n ? Dim.Of(c.Node.GetInt("onesided", 1) != 0 ? (n / 2) + 1 : n) : Dim.Unknown;
        c.Set(0, c.Type(0), TensorShape.Of(x is { Rank: 3 } ? x[0] : Dim.Unknown, frames, bins, Dim.Of(2)));
    }

    private static void Window(NodeContext c)
    {
        var type = (DataType)c.Node.GetInt("output_datatype", 1);
        var size = c.Constants(0) is [var n] ? Dim.Of(n) : Dim.Unknown;
        c.Set(0, type, TensorShape.Of(size));
    }
}
