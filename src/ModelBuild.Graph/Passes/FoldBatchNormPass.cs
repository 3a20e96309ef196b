namespace ModelBuild.Graph.Passes;

/// <summary>
/// Folds an inference-mode BatchNormalization into the Conv or Gemm before it:
/// with <c>s = scale / sqrt(var + eps)</c>, weights become <c>W·s</c> per output channel and the bias
/// <c>(b − mean)·s + B</c>. Arithmetic is float64; results are rounded to float32 once.
/// </summary>
public sealed class FoldBatchNormPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "fold-batchnorm";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var bn in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "BatchNormalization").ToList())
        {
            var x = bn.Inputs[0];
            // spatial=0 (before opset 9) normalises per element, not per channel, so it does not fold per channel.
            if (bn.GetInt("training_mode", 0) != 0 || bn.GetInt("spatial", 1) == 0 || bn.Outputs.Skip(1).Any(o => o.Length > 0 && (graph.IsGraphOutput(o) || graph.Consumers(o).Count > 0))
                || graph.Producer(x) is not { IsDefaultDomain: true, OpType: "Conv" or "Gemm" } producer
                || producer.Outputs[0] != x || !GraphEdits.OnlyFeeds(graph, x, bn) || Affine(graph, bn) is not { } affine)
            {
                continue;
            }

            var folded = producer.OpType == "Conv" ? FoldConv(graph, producer, affine) : FoldGemm(graph, producer, affine);
            if (!folded)
            {
                continue;
            }

            graph.Nodes.Remove(bn);
            producer.Outputs[0] = bn.Outputs[0];
            graph.ValueInfos.Remove(x);
            notes.Add($"{Name}: folded {GraphEdits.Label(bn)} into {GraphEdits.Label(producer)}");
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    /// <summary>Per-channel scale s and shift t, so that BN(y) = y·s + t.</summary>
    private static (double[] Scale, double[] Mean, double[] Shift)? Affine(ModelGraph graph, Node bn)
    {
        var p = Enumerable.Range(1, 4).Select(i => GraphEdits.FloatInitializer(graph, bn.InputOrNull(i))).ToArray();
        if (p.Any(t => t is null || t.Dims.Length != 1) || p.Select(t => t!.ElementCount).Distinct().Count() != 1)
        {
            return null;
        }

        var (gamma, beta, mean, variance) = (p[0]!.ToDoubles(), p[1]!.ToDoubles(), p[2]!.ToDoubles(), p[3]!.ToDoubles());
        var eps = (double)bn.GetFloat("epsilon", 1e-5f);
        var scale = gamma.Select((g, c) => g / Math.Sqrt(variance[c] + eps)).ToArray();
        return (scale, mean, beta);
    }

    private static bool FoldConv(ModelGraph graph, Node conv, (double[] Scale, double[] Mean, double[] Shift) a)
    {
        var channels = a.Scale.Length;
        if (GraphEdits.FloatInitializer(graph, conv.InputOrNull(1)) is not { } w || w.Dims.Length < 1 || w.Dims[0] != channels)
        {
            return false;
        }

        if (GraphEdits.ConvBias(graph, conv, channels) is not { } bias)
        {
            return false;
        }

        var weights = GraphEdits.ScaledPerOutputChannel(w, a.Scale);
        SetInputs(graph, conv, w, weights, NewBias(bias, a), a.Scale);
        return true;
    }

    private static bool FoldGemm(ModelGraph graph, Node gemm, (double[] Scale, double[] Mean, double[] Shift) a)
    {
        var n = a.Scale.Length;
        var transB = gemm.GetInt("transB", 0) != 0;
        if (GraphEdits.FloatInitializer(graph, gemm.InputOrNull(1)) is not { Dims.Length: 2 } w || w.Dims[transB ? 0 : 1] != n)
        {
            return false;
        }

        var beta = (double)gemm.GetFloat("beta", 1f);
        var bias = new double[n];
        if (gemm.InputOrNull(2) is { } cName)
        {
            // Only a per-column C ([N], [1,N] or a scalar) can absorb the shift; a full [M,N] C cannot.
            if (GraphEdits.FloatInitializer(graph, cName) is not { } c || !(c.ElementCount == n || c.ElementCount == 1)
                || (c.Dims.Length == 2 && c.Dims[0] != 1))
            {
                return false;
            }

            var values = c.ToDoubles();
            bias = Enumerable.Range(0, n).Select(j => beta * values[values.Length == 1 ? 0 : j]).ToArray();
        }

        var weights = w.ToDoubles();
        var cols = w.Dims[1];
        for (var i = 0; i < weights.Length; i++)
        {
            // Output channel j is row j of B when transB=1, column j otherwise.
            weights[i] *= a.Scale[transB ? i / cols : i % cols];
        }

        SetInputs(graph, gemm, w, weights, NewBias(bias, a), a.Scale);
        gemm.SetAttribute(NodeAttribute.Of("beta", 1f));
        return true;
    }

    private static double[] NewBias(double[] bias, (double[] Scale, double[] Mean, double[] Shift) a) =>
        bias.Select((b, c) => ((b - a.Mean[c]) * a.Scale[c]) + a.Shift[c]).ToArray();

    private static void SetInputs(ModelGraph graph, Node node, Tensor w, double[] weights, double[] bias, double[] scale)
    {
        // New names: the old weights may be shared with other nodes; unused ones are removed at the end.
        node.Inputs[1] = GraphEdits.AddWeight(graph, w.Name + "_bnfold", w.Dims, weights, derivedFrom: w.Name);
        var earlier = graph.FoldedChannelScales.GetValueOrDefault(w.Name);
        graph.FoldedChannelScales[node.Inputs[1]] = scale.Select((f, c) => f * (earlier is { } e && e.Length == scale.Length ? e[c] : 1)).ToArray();
        var biasName = GraphEdits.AddWeight(graph, (node.Name.Length > 0 ? node.Name : node.Outputs[0]) + "_bias_bnfold", [bias.Length], bias);
        if (node.Inputs.Count < 3)
        {
            node.Inputs.Add(biasName);
        }
        else
        {
            node.Inputs[2] = biasName;
        }
    }
}
