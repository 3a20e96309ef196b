namespace ModelBuild.Graph.Passes;

/// <summary>
/// Folds a per-channel (or scalar) scale after a convolution into its weights and bias:
/// <c>Mul(Conv(x, W, b), s)</c> with s a float constant broadcasting as <c>[1, C, 1, …]</c> (or holding one value)
/// becomes <c>Conv(x, W·s, b·s)</c>, exact up to float rounding since convolution is linear in W and b.
/// paddle2onnx exports PP-LCNetV3's learnable affine blocks this way (a scalar Mul and Add after each Conv); the Add
/// is then moved into the bias by <see cref="FuseBiasAddPass"/>.
/// </summary>
/// <remarks>
/// Only when the Conv's output is read by the Mul alone and W (and b, if present) are float constants; the folded
/// weights get new names, so a W shared with another node keeps its values there.
/// </remarks>
public sealed class FoldConvScalePass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "fold-conv-scale";

    /// <inheritdoc/>
    public PassResult Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var notes = new List<string>();
        foreach (var mul in graph.Nodes.Where(n => n.IsDefaultDomain && n.OpType == "Mul" && n.Inputs.Count == 2 && n.Inputs[0] != n.Inputs[1]).ToList())
        {
            for (var side = 0; side < 2; side++)
            {
                var (y, scale) = (mul.Inputs[side], GraphEdits.FloatInitializer(graph, mul.Inputs[1 - side]));
                if (scale is null || graph.Producer(y) is not { IsDefaultDomain: true, OpType: "Conv" } conv || conv.Outputs[0] != y
                    || !GraphEdits.OnlyFeeds(graph, y, mul) || !Fold(graph, conv, scale))
                {
                    continue;
                }

                graph.Nodes.Remove(mul);
                conv.Outputs[0] = mul.Outputs[0];
                graph.ValueInfos.Remove(y);
                notes.Add($"{Name}: folded {GraphEdits.Label(mul)} into {GraphEdits.Label(conv)}");
                break;
            }
        }

        return notes.Count == 0 ? PassResult.Unchanged : new PassResult(true, notes);
    }

    private static bool Fold(ModelGraph graph, Node conv, Tensor scale)
    {
        if (GraphEdits.FloatInitializer(graph, conv.InputOrNull(1)) is not { } w || w.Dims.Length < 3
            || PerChannel(scale, w.Dims[0], w.Dims.Length) is not { } s)
        {
            return false;
        }

        var channels = w.Dims[0];
        if (GraphEdits.ConvBias(graph, conv, channels) is not { } bias)
        {
            return false;
        }

        var weights = GraphEdits.ScaledPerOutputChannel(w, s);
        conv.Inputs[1] = GraphEdits.AddWeight(graph, w.Name + "_scaled", w.Dims, weights, derivedFrom: w.Name);
        var newBias = GraphEdits.AddWeight(graph, (conv.Name.Length > 0 ? conv.Name : conv.Outputs[0]) + "_bias_scaled", [channels],
            bias.Select((v, c) => v * s[c]).ToArray());
        if (conv.Inputs.Count < 3)
        {
            conv.Inputs.Add(newBias);
        }
        else
        {
            conv.Inputs[2] = newBias;
        }

        return true;
    }

    /// <summary>
    /// The scale per output channel when <paramref name="scale"/> broadcasts against the Conv's
    /// <c>[N, C, spatial…]</c> output (rank <paramref name="rank"/>) without changing its shape: one value, or dims
    /// that right-align to <c>[1, C, 1, …]</c>. Null otherwise.
    /// </summary>
    private static double[]? PerChannel(Tensor scale, long channels, int rank)
    {
        if (scale.Dims.Length > rank)
        {
            return null;
        }

        var values = scale.ToDoubles();
        if (values.Length == 1)
        {
            return Enumerable.Repeat(values[0], (int)channels).ToArray();
        }

        var dims = Enumerable.Repeat(1L, rank - scale.Dims.Length).Concat(scale.Dims).ToArray();
        return dims[0] == 1 && dims[1] == channels && dims.Skip(2).All(d => d == 1) ? values : null;
    }
}
