using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.Activations;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Export;

/// <summary>
/// Writes the layers with 8-bit activations into the compressed .onnx as the integer maths the generated
/// <c>QuantizedDenseOp</c> computes, in standard operators ONNX Runtime runs (so the build's plan check and accuracy
/// gate validate what ships):
/// <c>DynamicQuantizeLinear(X)</c> (static: <c>QuantizeLinear(X, s, zp)</c>) → <c>MatMulInteger</c>(codes, W, zp,
/// W's zero points) → <c>Cast</c>(float) → <c>Mul</c>(s·wScale) → <c>Add</c>(bias).
/// </summary>
/// <remarks>
/// The weights go in as uint8 = code + 128 with a per-column zero point of 128 (the same integers): ONNX Runtime's
/// uint8 × uint8 MatMulInteger is exact on every x86 level, whereas its uint8 × int8 form uses <c>vpmaddubsw</c> on
/// AVX2 machines without VNNI, which saturates (its documentation's reduce_range caveat) and would disagree with the
/// exact kernel the predictor runs.
/// </remarks>
public static class ActivationQuantizedOnnxRewriter
{
    /// <summary>Replaces each layer's MatMul/Gemm node and float weight with the integer form.</summary>
    public static void Apply(ModelGraph graph, IReadOnlyList<(LayerWeight Layer, LinearQuantized Weight, ActivationQuantization Input)> layers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (layer, weight, input) in layers)
        {
            Rewrite(graph, layer, weight, input);
        }
    }

    private static void Rewrite(ModelGraph graph, LayerWeight layer, LinearQuantized w, ActivationQuantization input)
    {
        var node = layer.Node;
        int n = w.Rows, k = w.Cols;
        var x = node.Inputs[0];
        var y = node.Outputs[0];
        var stem = graph.UniqueName(layer.Name + "_int8act");

        // MatMulInteger's B is [K, N]: the matrix view transposed, each code shifted to uint8.
        var codes = new byte[k * n];
        for (var j = 0; j < n; j++)
        {
            for (var i = 0; i < k; i++)
            {
                codes[(i * n) + j] = (byte)(w.Codes[(j * k) + i] + 128);
            }
        }

        graph.RemoveInitializer(layer.Name);
        graph.ValueInfos.Remove(layer.Name);
        graph.SetInitializer(Tensor.FromUInt8s(stem + "_w", [k, n], codes));
        graph.SetInitializer(Tensor.FromUInt8s(stem + "_w_zero_point", [n], Enumerable.Repeat((byte)128, n).ToArray()));
        var nodes = new List<Node>();
        string codesX = stem + "_x", zeroPoint, scale;
        if (input.IsDynamic)
        {
            (scale, zeroPoint) = (stem + "_x_scale", stem + "_x_zero_point");
            nodes.Add(new Node("DynamicQuantizeLinear", [x], [codesX, scale, zeroPoint], stem + "_DynamicQuantizeLinear"));
            graph.SetInitializer(Tensor.FromFloats(stem + "_w_scale", [n], w.Scales));
            nodes.Add(new Node("Mul", [scale, stem + "_w_scale"], [stem + "_scale"], stem + "_scale_Mul"));
        }
        else
        {
            (scale, zeroPoint) = (stem + "_x_scale", stem + "_x_zero_point");
            graph.SetInitializer(Tensor.FromFloats(scale, [], [input.Scale]));
            graph.SetInitializer(Tensor.FromUInt8s(zeroPoint, [], [(byte)input.ZeroPoint]));
            nodes.Add(new Node("QuantizeLinear", [x, scale, zeroPoint], [codesX], stem + "_QuantizeLinear"));

            // The product of the two scales in float, as the kernel forms it.
            graph.SetInitializer(Tensor.FromFloats(stem + "_scale", [n], w.Scales.Select(s => input.Scale * s).ToArray()));
        }

        nodes.Add(new Node("MatMulInteger", [codesX, stem + "_w", zeroPoint, stem + "_w_zero_point"], [stem + "_i32"], stem + "_MatMulInteger"));
        var cast = new Node("Cast", [stem + "_i32"], [stem + "_f32"], stem + "_Cast");
        cast.Attributes.Add(NodeAttribute.Of("to", (long)DataType.Float));
        nodes.Add(cast);
        var bias = node.OpType == "Gemm" && node.InputOrNull(2) is { } c && node.GetFloat("beta", 1f) != 0f ? c : null;
        nodes.Add(new Node("Mul", [stem + "_f32", stem + "_scale"], [bias is null ? y : stem + "_scaled"], stem + "_Mul"));
        if (bias is not null)
        {
            nodes.Add(new Node("Add", [stem + "_scaled", bias], [y], node.Name.Length > 0 ? node.Name : stem + "_Add"));
        }

        var at = graph.Nodes.IndexOf(node);
        graph.Nodes.RemoveAt(at);
        graph.Nodes.InsertRange(at, nodes);
    }
}
