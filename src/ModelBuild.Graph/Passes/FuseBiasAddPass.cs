namespace ModelBuild.Graph.Passes;

/// <summary>
/// Moves a separate bias Add into the layer before it: <c>Conv → Add(const [C,1,1], [1,C,1,1] or one value)</c> becomes a Conv
/// with a bias input, and <c>MatMul(x, const W[K,N]) → Add(const [N] or [1,N])</c> with a 2-D x becomes
/// <c>Gemm(x, W, bias)</c> (transB=0). Both patterns come from older exporters such as CNTK (mnist-8).
/// </summary>
/// <remarks>
/// The MatMul rewrite needs x's rank from <see cref="ModelGraph.ValueInfos"/> (Gemm takes only 2-D inputs);
/// <see cref="GraphOptimizer.Simplify"/> runs shape inference before each round so it is there.
/// </remarks>
public sealed class FuseBiasAddPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "fuse-bias-add";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var add in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "Add" && n.Inputs.Count == 2).ToList())
        {
            for (var side = 0; side < 2; side++)
            {
                var (y, constant) = (add.Inputs[side], GraphEdits.FloatInitializer(graph, add.Inputs[1 - side]));
                if (constant is null || graph.Producer(y) is not { IsDefaultDomain: true } producer || producer.Outputs[0] != y
                    || !GraphEdits.OnlyFeeds(graph, y, add))
                {
                    continue;
                }

                var fused = producer.OpType switch
                {
                    "Conv" => FuseConv(graph, producer, constant),
                    "MatMul" => FuseMatMul(graph, producer, constant),
                    _ => false,
                };
                if (fused)
                {
                    graph.Nodes.Remove(add);
                    producer.Outputs[0] = add.Outputs[0];
                    graph.ValueInfos.Remove(y);
                    notes.Add($"{Name}: fused {GraphEdits.Label(add)} into {GraphEdits.Label(producer)}");
                    break;
                }
            }
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static bool FuseConv(ModelGraph graph, Node conv, Tensor constant)
    {
        if (GraphEdits.FloatInitializer(graph, conv.InputOrNull(1)) is not { } w || w.Dims.Length < 3)
        {
            return false;
        }

        // The constant must broadcast as [1, C, 1, ..., 1] against the [N, C, spatial...] output, or hold one value
        // (paddle2onnx's learnable affine adds a [1] scalar) of rank no higher than the output's.
        var channels = w.Dims[0];
        var rank = w.Dims.Length;
        var dims = Enumerable.Repeat(1L, Math.Max(0, rank - constant.Dims.Length)).Concat(constant.Dims).ToArray();
        var scalar = constant.ElementCount == 1 && dims.Length == rank;
        if (!scalar && (dims.Length != rank || dims[0] != 1 || dims[1] != channels || dims.Skip(2).Any(d => d != 1)))
        {
            return false;
        }

        var bias = scalar ? Enumerable.Repeat(constant.ToDoubles()[0], (int)channels).ToArray() : constant.ToDoubles();
        if (conv.InputOrNull(2) is { } existing)
        {
            if (GraphEdits.FloatInitializer(graph, existing) is not { } b || b.ElementCount != channels)
            {
                return false;
            }

            bias = bias.Zip(b.ToDoubles(), (p, q) => p + q).ToArray();
        }

        var name = GraphEdits.AddWeight(graph, constant.Name + "_bias", [channels], bias);
        if (conv.Inputs.Count < 3)
        {
            conv.Inputs.Add(name);
        }
        else
        {
            conv.Inputs[2] = name;
        }

        return true;
    }

    private static bool FuseMatMul(ModelGraph graph, Node matMul, Tensor constant)
    {
        // Gemm before opset 7 needs an explicit broadcast attribute for C; such old models keep their MatMul.
        if (graph.DefaultOpset < 7 || GraphEdits.FloatInitializer(graph, matMul.InputOrNull(1)) is not { Dims.Length: 2 } w
            || graph.GetValueInfo(matMul.Inputs[0]) is not { ElementType: DataType.Float, Shape.Rank: 2 })
        {
            return false;
        }

        var n = w.Dims[1];
        var isRow = constant.Dims is [var len] && len == n || constant.Dims is [1, var cols] && cols == n;
        if (!isRow)
        {
            return false;
        }

        matMul.OpType = "Gemm";
        matMul.Inputs.Add(constant.Name);
        return true;
    }
}
