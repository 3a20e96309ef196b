using System.Globalization;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;

namespace ModelBuild.Compression.Passes.Pruning;

/// <summary>
/// Structured pruning: removes whole output channels (Conv filters, Gemm/MatMul neurons) of each selected layer and
/// physically shrinks the graph (the layer's rows and bias, then every reader's inputs, see <see cref="ChannelTracer"/>).
/// Layers whose channels reach an operator the tracer cannot follow (or a graph output) are left unchanged.
/// </summary>
public sealed class StructuredPrunePass(StructuredPruneSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var graph = context.Graph;
        var names = LayerSelection.Select(context, spec.Layers, spec.Exclude).Where(l => l.Node.GetInt("group", 1) == 1).Select(l => l.Name).ToList();
        var targets = spec.Reconstruct ? Reconstruction.RecordTargets(context, context.Layers(), spec.Name) : null;
        var notes = new List<string>();
        var pruned = 0;
        foreach (var name in names)
        {
            var layer = context.Layers().First(l => l.Name == name);
            var probe = new ChannelTracer(graph, apply: false, _ => true);
            if (!probe.Walk(layer.Node.Outputs[0], Enumerable.Range(0, layer.Rows).ToArray()))
            {
                notes.Add($"{name} kept ({probe.Failure})");
                continue;
            }

            if (SharedTensor(graph, layer, probe.Readers) is { } shared)
            {
                // Cutting a tensor for one reader would change (or break) every other node that reads it (bug case c18).
                notes.Add($"{name} kept ('{shared}' is also read by another node)");
                continue;
            }

            var remove = Math.Min((int)Math.Round(spec.Fraction * layer.Rows), layer.Rows - 1);
            if (remove <= 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name} kept ({spec.Fraction:P0} of {layer.Rows} channels rounds to none)"));
                continue;
            }

            pruned++;

            var saliency = Saliency(context, layer, probe.Readers);
            var removed = Enumerable.Range(0, layer.Rows).OrderBy(c => saliency[c]).ThenBy(c => c).Take(remove).ToHashSet();
            var kept = Enumerable.Range(0, layer.Rows).Where(c => !removed.Contains(c)).ToArray();
            var weight = graph.GetInitializer(layer.Name)!;
            graph.SetInitializer(TensorCut.Keep(weight, layer.Layout == MatrixLayout.RowsFirst ? 0 : 1, kept));
            if (LayerSelection.Bias(graph, layer) is { } bias)
            {
                graph.SetInitializer(TensorCut.Keep(bias, 0, kept));
            }

            var tracer = new ChannelTracer(graph, apply: true, c => !removed.Contains(c));
            tracer.Walk(layer.Node.Outputs[0], Enumerable.Range(0, layer.Rows).ToArray());
            ShapeInference.Run(graph);
            context.InvalidateActivations();

            // Shapes changed: earlier storage decisions for these weights no longer fit (prune before quantising).
            context.Stored.Remove(layer.Name);
            tracer.Readers.ForEach(r => context.Stored.Remove(r.Node.Inputs[1]));
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {layer.Rows} → {kept.Length} channels"));
            if (targets is not null)
            {
                foreach (var (reader, _, _) in tracer.Readers)
                {
                    var readerLayer = context.Layers().First(l => l.Node == reader);
                    if (Reconstruction.Refit(context, readerLayer, targets, keepZeros: false, spec.Ridge, spec.Name))
                    {
                        notes[^1] += $", {readerLayer.Name} refitted";
                    }
                }
            }
        }

        graph.RemoveUnusedInitializers();
        context.Notes.Add($"{spec.Describe()}: {(notes.Count == 0 ? "no layer pruned" : string.Join("; ", notes))}.");
        if (pruned == 0)
        {
            // A request that removes nothing is almost always a surprise (a graph the tracer cannot follow): say why.
            context.Warnings.Add($"{context.ManifestPath}: warning {NoEffectCode}: {spec.Describe()} removed no channel: "
                + (notes.Count == 0 ? "no Conv (group 1), Gemm or MatMul layer is selected" : string.Join("; ", notes)) + ".");
        }
    }

    /// <summary>The warning code of a manifest setting that has no effect (README: error codes).</summary>
    public const string NoEffectCode = "MB2006";

    /// <summary>The first tensor this cut would shrink (the layer's weight and bias, each reader's weight) that some other node also reads.</summary>
    private static string? SharedTensor(ModelGraph graph, LayerWeight layer, List<(Node Node, int[] Owner, int Axis)> readers)
    {
        var cut = new List<(string Tensor, Node Owner)> { (layer.Name, layer.Node) };
        if (LayerSelection.Bias(graph, layer) is { } bias)
        {
            cut.Add((bias.Name, layer.Node));
        }

        cut.AddRange(readers.Select(r => (r.Node.Inputs[1], r.Node)));
        return cut.FirstOrDefault(t => graph.Consumers(t.Tensor).Any(n => n != t.Owner) || cut.Count(o => o.Tensor == t.Tensor) > 1).Tensor;
    }

    private double[] Saliency(CompressionContext context, LayerWeight layer, List<(Node Node, int[] Owner, int Axis)> readers)
    {
        var matrix = context.GetMatrix(layer);
        var result = new double[layer.Rows];
        if (spec.Criterion != ChannelCriterion.Taylor)
        {
            for (var r = 0; r < layer.Rows; r++)
            {
                var row = matrix.AsSpan(r * layer.Cols, layer.Cols);
                double sum = 0;
                foreach (var v in row)
                {
                    sum += spec.Criterion == ChannelCriterion.L1 ? Math.Abs(v) : (double)v * v;
                }

                result[r] = spec.Criterion == ChannelCriterion.L1 ? sum : Math.Sqrt(sum);
            }

            return result;
        }

        // Molchanov et al. rank by |activation × gradient|. Without gradients, the gradient reaching a channel is
        // approximated by the norm of the next layer's weights reading it (what a unit change of the channel moves
        // downstream), times the channel's mean |activation| (after the Relu when one follows) on calibration data.
        var output = layer.Node.Outputs[0];
        var consumers = context.Graph.Consumers(output);
        var value = consumers.Count == 1 && consumers[0].OpType == "Relu" ? consumers[0].Outputs[0] : output;
        var (data, shape) = context.Record([value], spec.Name)[value];
        var spatial = shape.Skip(2).Aggregate(1, (a, d) => a * d);
        var activity = new double[layer.Rows];
        for (var i = 0; i < data.Length; i++)
        {
            activity[i / spatial % layer.Rows] += Math.Abs(data[i]);
        }

        var downstream = new double[layer.Rows];
        foreach (var (node, owner, axis) in readers)
        {
            var squares = AxisSquares(context.Graph.GetInitializer(node.Inputs[1])!, axis);
            for (var f = 0; f < owner.Length; f++)
            {
                if (owner[f] >= 0)
                {
                    downstream[owner[f]] += squares[f];
                }
            }
        }

        for (var c = 0; c < layer.Rows; c++)
        {
            result[c] = activity[c] / (data.Length / layer.Rows) * Math.Sqrt(downstream[c]);
        }

        return result;
    }

    /// <summary>For each index of <paramref name="axis"/>, the sum of squares of the tensor's slice at that index.</summary>
    private static double[] AxisSquares(Tensor tensor, int axis)
    {
        var size = (int)tensor.Dims[axis];
        var inner = (int)tensor.Dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var values = tensor.ToFloats();
        var result = new double[size];
        for (var i = 0; i < values.Length; i++)
        {
            result[i / inner % size] += (double)values[i] * values[i];
        }

        return result;
    }
}
