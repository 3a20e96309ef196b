namespace ModelBuild.Graph.Inference;

/// <summary>LSTM, GRU and RNN: Y <c>[T, D, B, H]</c>, Y_h and Y_c <c>[D, B, H]</c> (layout 1: <c>[B, T, D, H]</c>, <c>[B, D, H]</c>).</summary>
internal static class RecurrentRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["LSTM"] = Recurrent;
        rules["GRU"] = Recurrent;
        rules["RNN"] = Recurrent;
    }

    private static void Recurrent(NodeContext c)
    {
        var type = c.Type(0);
        var x = c.Shape(0);
        if (x is not null && x.Rank != 3)
        {
            throw c.Fail($"X {x} must be 3-D");
        }

        var directions = c.Node.GetString("direction", "forward") == "bidirectional" ? Dim.Of(2) : Dim.Of(1);
        Dim hidden = c.Node.Attribute("hidden_size") is { Kind: AttributeKind.Int } a ? Dim.Of(a.Int)
            : c.Shape(2) is { Rank: 3 } r ? r[2] : Dim.Unknown;
        var batchMajor = c.Node.GetInt("layout", 0) == 1;
        TensorShape? y = null, state = null;
        if (x is not null)
        {
            Dim steps = batchMajor ? x[1] : x[0], batch = batchMajor ? x[0] : x[1];
            y = batchMajor ? TensorShape.Of(batch, steps, directions, hidden) : TensorShape.Of(steps, directions, batch, hidden);
            state = batchMajor ? TensorShape.Of(batch, directions, hidden) : TensorShape.Of(directions, batch, hidden);
        }

        c.Set(0, type, y);
        c.Set(1, type, state);
        c.Set(2, type, state);
    }
}
