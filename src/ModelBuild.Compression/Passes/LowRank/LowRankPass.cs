using System.Globalization;
using ModelBuild.Compression.Algorithms.LowRank;
using ModelBuild.Compression.Passes.Pruning;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.LowRank;

/// <summary>
/// Replaces Gemm/MatMul layers by two thinner ones from a truncated SVD, where that saves parameters. Gemm becomes
/// Gemm(x, Vᵣᵀ, transB=1) → Gemm(·, Uᵣ·Σᵣ, bias, transB=1); MatMul becomes two MatMuls (any input rank); a 1×1 Conv
/// (group 1, no padding) becomes Conv(x, Vᵣᵀ) with its strides → Conv(·, Uᵣ·Σᵣ, bias).
/// </summary>
public sealed class LowRankPass(LowRankSpec spec) : ICompressionPass
{
    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var layers = LayerSelection.Select(context, spec.Layers, spec.Exclude, Supported);
        var targets = spec.Reconstruct ? Reconstruction.RecordTargets(context, layers, spec.Name) : null;
        var notes = new List<string>();
        foreach (var layer in layers)
        {
            var matrix = context.GetMatrix(layer);
            var rank = spec.Rank ?? TruncatedSvd.RankForEnergy(TruncatedSvd.SingularValues(matrix, layer.Rows, layer.Cols), spec.Energy ?? 1);
            rank = Math.Min(rank, Math.Min(layer.Rows, layer.Cols));
            if ((long)rank * (layer.Rows + layer.Cols) >= (long)layer.Rows * layer.Cols)
            {
                notes.Add($"{layer.Name} kept (rank {rank} would not save bytes)");
                continue;
            }

            var factors = TruncatedSvd.Factor(matrix, layer.Rows, layer.Cols, rank);
            var second = Rewrite(context.Graph, layer, factors);
            context.Stored.Remove(layer.Name);
            var total = factors.SingularValues.Sum(s => s * s);
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{layer.Name} {layer.Rows}×{layer.Cols} → rank {rank} ({1 - (factors.DiscardedEnergy / Math.Max(total, double.Epsilon)):P2} energy)"));
            if (targets is not null && targets.Remove(layer.Name, out var y))
            {
                var newLayer = context.Layers().First(l => l.Name == second);
                Reconstruction.Refit(context, newLayer, new Dictionary<string, float[]> { [second] = y }, keepZeros: false, spec.Ridge, spec.Name);
            }
        }

        context.InvalidateActivations();
        context.Notes.Add($"{spec.Describe()}: {(notes.Count == 0 ? "no layer selected" : string.Join("; ", notes))}.");
    }

    private static bool Supported(LayerWeight layer) =>
        (layer.Node.OpType == "MatMul" || IsPointwiseConv(layer.Node) || (layer.Node.OpType == "Gemm" && layer.Node.GetInt("transA", 0) == 0
            && layer.Node.GetFloat("alpha", 1) == 1 && layer.Node.GetFloat("beta", 1) == 1))
        && layer.Rows > 1 && layer.Cols > 1;

    /// <summary>A 1×1 Conv without groups or padding is a matrix product per pixel.</summary>
    private static bool IsPointwiseConv(Node node) =>
        node.OpType == "Conv" && node.GetInt("group", 1) == 1 && node.GetInts("kernel_shape") is { } k && k.All(d => d == 1)
        && (node.GetInts("pads") ?? []).All(p => p == 0) && node.GetString("auto_pad", "NOTSET") is "NOTSET" or "VALID";

    /// <summary>Swaps the layer's node for the two factor nodes; returns the second factor's weight name.</summary>
    private static string Rewrite(ModelGraph graph, LayerWeight layer, LowRankFactors f)
    {
        var node = layer.Node;
        var stem = node.Name.Length > 0 ? node.Name : layer.Name;
        var mid = graph.UniqueName(stem + "_lowrank");
        var firstName = graph.UniqueName(layer.Name + "_v");
        var secondName = graph.UniqueName(layer.Name + "_us");
        graph.WeightOrigins[firstName] = graph.WeightOrigins[secondName] = layer.OriginalName; // 'exclude' of the layer still finds both factors
        var gemm = node.OpType == "Gemm";
        var conv = node.OpType == "Conv";

        // Gemm (transB=1) stores the matrix view [rank, cols] itself, a 1×1 Conv the same with trailing 1×1 axes;
        // MatMul multiplies by its transpose [cols, rank].
        var pixel = conv ? node.GetInts("kernel_shape")!.Select(_ => 1L).ToArray() : [];
        graph.SetInitializer(gemm || conv
            ? Tensor.FromFloats(firstName, [f.Rank, f.Cols, .. pixel], ToFloats(f.Right))
            : Tensor.FromFloats(firstName, [f.Cols, f.Rank], Transpose(f.Right, f.Rank, f.Cols)));
        graph.SetInitializer(gemm || conv
            ? Tensor.FromFloats(secondName, [f.Rows, f.Rank, .. pixel], ToFloats(f.Left))
            : Tensor.FromFloats(secondName, [f.Rank, f.Rows], Transpose(f.Left, f.Rows, f.Rank)));

        var first = new Node(node.OpType, [node.Inputs[0], firstName], [mid], graph.UniqueName(stem + "_lowrank_v"));
        var secondInputs = new List<string> { mid, secondName };
        if ((gemm || conv) && node.InputOrNull(2) is { } bias)
        {
            secondInputs.Add(bias);
        }

        var second = new Node(node.OpType, secondInputs, node.Outputs, stem);
        if (gemm)
        {
            first.SetAttribute(NodeAttribute.Of("transB", 1L));
            second.SetAttribute(NodeAttribute.Of("transB", 1L));
        }
        else if (conv)
        {
            // The first convolution keeps the strides (and kernel shape); the second is a plain 1×1.
            first.Attributes.AddRange(node.Attributes);
            second.SetAttribute(NodeAttribute.Of("kernel_shape", pixel));
        }

        graph.ReplaceNode(node, [first, second]);
        if (!graph.Nodes.Any(n => n.Inputs.Contains(layer.Name)))
        {
            graph.RemoveInitializer(layer.Name);
        }

        return secondName;
    }

    private static float[] ToFloats(double[] values) => values.Select(v => (float)v).ToArray();

    private static float[] Transpose(double[] values, int rows, int cols)
    {
        var result = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[(c * rows) + r] = (float)values[(r * cols) + c];
            }
        }

        return result;
    }
}
