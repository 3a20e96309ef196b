namespace ModelBuild.Graph.Inference;

/// <summary>Gemm and MatMul.</summary>
internal static class LinearRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Gemm"] = Gemm;
        rules["MatMul"] = MatMul;
    }

    private static void Gemm(NodeContext c)
    {
        if (c.Shape(0) is not { Rank: 2 } a || c.Shape(1) is not { Rank: 2 } b)
        {
            if (c.Shape(0) is { Rank: not 2 } || c.Shape(1) is { Rank: not 2 })
            {
                throw c.Fail($"A and B must be 2-D (got {c.Shape(0)} and {c.Shape(1)})");
            }

            c.Set(0, c.Type(0), null);
            return;
        }

        var transA = c.Node.GetInt("transA", 0) != 0;
        var transB = c.Node.GetInt("transB", 0) != 0;
        var (m, ka) = transA ? (a[1], a[0]) : (a[0], a[1]);
        var (kb, n) = transB ? (b[1], b[0]) : (b[0], b[1]);
        c.Unify(ka, kb, $"inner dimensions of A {a} and B {b} (transA={(transA ? 1 : 0)}, transB={(transB ? 1 : 0)})");
        var y = TensorShape.Of(m, n);
        if (c.Shape(2) is { } bias)
        {
            // C broadcasts one way into [M, N]; the output keeps [M, N].
            var merged = c.Broadcast([y, bias]);
            if (merged.Rank != 2 || (bias.Rank == 2 && DimMath.Unify(merged[0], m) is null))
            {
                throw c.Fail($"C {bias} does not broadcast to {y}");
            }
        }

        c.Set(0, c.Type(0), y);
    }

    private static void MatMul(NodeContext c)
    {
        if (c.Shape(0) is not { } a || c.Shape(1) is not { } b)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        if (a.Rank == 0 || b.Rank == 0)
        {
            throw c.Fail("MatMul inputs cannot be scalars");
        }

        // numpy: a 1-D left operand is a row [1, K], a 1-D right operand a column [K, 1]; the added axes are dropped.
        var left = a.Rank == 1 ? TensorShape.Of(Dim.Of(1), a[0]) : a;
        var right = b.Rank == 1 ? TensorShape.Of(b[0], Dim.Of(1)) : b;
        c.Unify(left[^1], right[^2], $"inner dimensions of {a} and {b}");
        var batch = c.Broadcast([new TensorShape(left.Take(left.Rank - 2)), new TensorShape(right.Take(right.Rank - 2))]);
        var dims = batch.ToList();
        if (a.Rank > 1)
        {
            dims.Add(left[^2]);
        }

        if (b.Rank > 1)
        {
            dims.Add(right[^1]);
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }
}
