using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.Activations;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Export;

/// <summary>
/// Writes a Conv with 8-bit activations into the compressed .onnx as the integer maths the generated
/// <c>QuantizedConvOp</c> computes: <c>DynamicQuantizeLinear(X)</c> (static: <c>QuantizeLinear(X, s, zp)</c>) →
/// <c>ConvInteger</c>(codes, W, zp, 128) with the Conv's attributes (it pads with the input's zero point) →
/// <c>Cast</c>(float) → <c>Mul</c>(s·wScale per output channel) → <c>Add</c>(bias per channel).
/// </summary>
/// <remarks>
/// The weights go in as uint8 = code + 128 with one zero point 128 (the same integers; ONNX Runtime's ConvInteger takes a
/// per-tensor weight zero point only, and its uint8 × uint8 product is exact on every x86 level, as for MatMulInteger).
/// The per-channel factors have shape [OC, 1, 1] (1-D: [OC, 1]) so they broadcast over the output's channel axis.
/// </remarks>
internal static class ActivationQuantizedConvRewriter
{
    private static readonly string[] CopiedAttributes = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];

    public static void Rewrite(ModelGraph graph, LayerWeight layer, LinearQuantized w, ActivationQuantization input)
    {
        var node = layer.Node;
        var dims = graph.GetInitializer(layer.Name)!.Dims;
        int oc = w.Rows;
        long[] perChannel = [oc, .. Enumerable.Repeat(1L, dims.Length - 2)];
        var stem = graph.UniqueName(layer.Name + "_int8act");
        var x = node.Inputs[0];
        var y = node.Outputs[0];

        graph.RemoveInitializer(layer.Name);
        graph.ValueInfos.Remove(layer.Name);
        graph.SetInitializer(Tensor.FromUInt8s(stem + "_w", dims, w.Codes.Select(c => (byte)(c + 128)).ToArray()));
        graph.SetInitializer(Tensor.FromUInt8s(stem + "_w_zero_point", [], [128]));
        var nodes = new List<Node>();
        string codesX = stem + "_x", scale = stem + "_x_scale", zeroPoint = stem + "_x_zero_point";
        if (input.IsDynamic)
        {
            nodes.Add(new Node("DynamicQuantizeLinear", [x], [codesX, scale, zeroPoint], stem + "_DynamicQuantizeLinear"));
            graph.SetInitializer(Tensor.FromFloats(stem + "_w_scale", perChannel, w.Scales));
            nodes.Add(new Node("Mul", [scale, stem + "_w_scale"], [stem + "_scale"], stem + "_scale_Mul"));
        }
        else
        {
            graph.SetInitializer(Tensor.FromFloats(scale, [], [input.Scale]));
            graph.SetInitializer(Tensor.FromUInt8s(zeroPoint, [], [(byte)input.ZeroPoint]));
            nodes.Add(new Node("QuantizeLinear", [x, scale, zeroPoint], [codesX], stem + "_QuantizeLinear"));

            // The product of the two scales in float, as the kernel forms it.
            graph.SetInitializer(Tensor.FromFloats(stem + "_scale", perChannel, w.Scales.Select(s => input.Scale * s).ToArray()));
        }

        var conv = new Node("ConvInteger", [codesX, stem + "_w", zeroPoint, stem + "_w_zero_point"], [stem + "_i32"], stem + "_ConvInteger");
        conv.Attributes.AddRange(node.Attributes.Where(a => CopiedAttributes.Contains(a.Name)));
        nodes.Add(conv);
        var cast = new Node("Cast", [stem + "_i32"], [stem + "_f32"], stem + "_Cast");
        cast.Attributes.Add(NodeAttribute.Of("to", (long)DataType.Float));
        nodes.Add(cast);
        var bias = node.InputOrNull(2) is { Length: > 0 } b ? graph.GetInitializer(b) : null;
        nodes.Add(new Node("Mul", [stem + "_f32", stem + "_scale"], [bias is null ? y : stem + "_scaled"], stem + "_Mul"));
        if (bias is not null)
        {
            graph.SetInitializer(Tensor.FromFloats(stem + "_bias", perChannel, bias.ToFloats()));
            nodes.Add(new Node("Add", [stem + "_scaled", stem + "_bias"], [y], node.Name.Length > 0 ? node.Name : stem + "_Add"));
        }

        var at = graph.Nodes.IndexOf(node);
        graph.Nodes.RemoveAt(at);
        graph.Nodes.InsertRange(at, nodes);
        if (bias is not null && graph.Consumers(bias.Name).Count == 0 && !graph.Outputs.Exists(o => o.Name == bias.Name))
        {
            graph.RemoveInitializer(bias.Name); // now held per channel as stem_bias
        }
    }
}
