using ModelBuild.Compression.Quantization;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Export;

/// <summary>
/// Rewrites a graph so its quantised weights are stored as int8 in the ONNX file and dequantised by standard
/// operators at run time, which any ONNX runtime can execute (the <c>*.compressed.onnx</c> output).
/// </summary>
/// <remarks>
/// Each float initializer <c>W</c> becomes <c>W_quantized</c> (int8), <c>W_scale</c> (float) and, asymmetric,
/// <c>W_zero_point</c> (int8), feeding nodes whose final output is named <c>W</c> again, so no consumer changes.
/// <list type="bullet">
/// <item>opset ≥ 13: one <c>DequantizeLinear</c>, with <c>axis</c> when per channel;</item>
/// <item>opset 10–12: <c>DequantizeLinear</c> for per-tensor only (per-axis arrived in opset 13);</item>
/// <item>otherwise: <c>Cast</c>(to float) → <c>Sub</c>(zero point, cast too) → <c>Mul</c>(scale), with the
/// scale and zero point shaped <c>[1,..,C,..,1]</c> so they broadcast along the channel axis.</item>
/// </list>
/// The new nodes go just before the weight's first consumer, keeping the node list topologically sorted.
/// </remarks>
public static class QuantizedOnnxRewriter
{
    private const long CastToFloat = (long)DataType.Float;

    /// <summary>Replaces each weight in <paramref name="weights"/> (by name) with its int8 form plus dequantisation.</summary>
    /// <exception cref="ArgumentException">A weight is not a float initializer of the graph or its shape differs.</exception>
    public static void Apply(ModelGraph graph, IReadOnlyList<QuantizedTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        var opset = graph.DefaultOpset;
        foreach (var q in weights)
        {
            var original = graph.GetInitializer(q.Name);
            if (original is null || original.DataType != DataType.Float || !original.Dims.SequenceEqual(q.Dims.Select(d => (long)d)))
            {
                throw new ArgumentException($"'{q.Name}' is not a float initializer of shape [{string.Join(",", q.Dims)}] in the graph.", nameof(weights));
            }

            Rewrite(graph, q, opset);
        }
    }

    private static void Rewrite(ModelGraph graph, QuantizedTensor q, long opset)
    {
        var name = q.Name;
        var dims = q.Dims.Select(d => (long)d).ToArray();
        var useDequantizeLinear = opset >= 13 || (opset >= 10 && q.IsPerTensor);

        // Per-tensor (and DequantizeLinear's per-axis 1-D) scales need no reshaping; the Cast path broadcasts.
        long[] paramDims = q.IsPerTensor ? [] : useDequantizeLinear ? [q.Scales.Length] : BroadcastDims(dims.Length, q.Axis, q.Scales.Length);

        graph.RemoveInitializer(name);
        var nodes = new List<Node>();
        var quantized = graph.UniqueName(name + "_quantized");
        graph.SetInitializer(q.ValuesSource is { } source
            ? new Tensor(quantized, DataType.Int8, dims, q.Values.LongLength, source)
            : Tensor.FromInt8s(quantized, dims, q.Values));
        var scale = graph.UniqueName(name + "_scale");
        graph.SetInitializer(Tensor.FromFloats(scale, paramDims, q.Scales));
        string? zeroPoint = null;
        if (!q.IsSymmetric)
        {
            zeroPoint = graph.UniqueName(name + "_zero_point");
            graph.SetInitializer(Tensor.FromInt8s(zeroPoint, paramDims, q.ZeroPoints));
        }

        if (useDequantizeLinear)
        {
            var inputs = zeroPoint is null ? new[] { quantized, scale } : [quantized, scale, zeroPoint];
            var node = new Node("DequantizeLinear", inputs, [name], graph.UniqueName(name + "_DequantizeLinear"));
            if (!q.IsPerTensor)
            {
                node.Attributes.Add(NodeAttribute.Of("axis", (long)q.Axis));
            }

            nodes.Add(node);
        }
        else
        {
            nodes.AddRange(CastSubMul(graph, name, quantized, scale, zeroPoint));
        }

        var firstConsumer = graph.Nodes.FindIndex(n => n.Inputs.Contains(name));
        graph.Nodes.InsertRange(firstConsumer < 0 ? 0 : firstConsumer, nodes);
        graph.ValueInfos[name] = new ValueInfo(name, DataType.Float, TensorShape.Of(dims));
    }

    private static List<Node> CastSubMul(ModelGraph graph, string name, string quantized, string scale, string? zeroPoint)
    {
        // UniqueName only sees what is already in the graph, so names handed out here are reserved locally too.
        var reserved = new HashSet<string>(StringComparer.Ordinal) { name };
        string Fresh(string stem)
        {
            var candidate = graph.UniqueName(stem);
            for (var i = 1; !reserved.Add(candidate); i++)
            {
                candidate = graph.UniqueName($"{stem}_{i}");
            }

            return candidate;
        }

        var nodes = new List<Node>();
        var value = Fresh(name + "_as_float");
        nodes.Add(Cast(quantized, value, Fresh(name + "_Cast")));
        if (zeroPoint is not null)
        {
            var zeroPointFloat = Fresh(name + "_zero_point_as_float");
            nodes.Add(Cast(zeroPoint, zeroPointFloat, Fresh(name + "_zero_point_Cast")));
            var centred = Fresh(name + "_centred");
            nodes.Add(new Node("Sub", [value, zeroPointFloat], [centred], Fresh(name + "_Sub")));
            value = centred;
        }

        nodes.Add(new Node("Mul", [value, scale], [name], Fresh(name + "_Mul")));
        return nodes;
    }

    private static Node Cast(string input, string output, string nodeName)
    {
        var node = new Node("Cast", [input], [output], nodeName);
        node.Attributes.Add(NodeAttribute.Of("to", CastToFloat));
        return node;
    }

    private static long[] BroadcastDims(int rank, int axis, int channels)
    {
        var result = Enumerable.Repeat(1L, rank).ToArray();
        result[axis] = channels;
        return result;
    }
}
