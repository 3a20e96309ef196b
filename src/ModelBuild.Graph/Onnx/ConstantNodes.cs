using Google.Protobuf;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>
/// Turns ONNX <c>Constant</c> nodes into weights, so passes find every constant tensor among the initializers
/// whether the exporter used initializers (most) or Constant nodes (PyTorch for shapes, some converters for all).
/// </summary>
public static class ConstantNodes
{
    /// <summary>The tensor a Constant node produces, or null when it is not a convertible Constant.</summary>
    public static Tensor? TryConvert(NodeProto node)
    {
        if (node.OpType != "Constant" || !(node.Domain is "" or "ai.onnx") || node.Output.Count != 1 || node.Input.Count != 0
            || node.Attribute.Count != 1 || node.Output[0].Length == 0)
        {
            return null;
        }

        var a = node.Attribute[0];
        if (a.HasRefAttrName)
        {
            return null;
        }

        var name = node.Output[0];
        const TensorOrigin origin = TensorOrigin.ConstantNode;
        return a.Name switch
        {
            "value" when a.T is not null => OnnxTensors.ToTensor(a.T, origin, name),
            "value_float" when a.HasF => Origin(Tensor.FromFloats(name, [], [a.F])),
            "value_floats" => Origin(Tensor.FromFloats(name, [a.Floats.Count], a.Floats.ToArray())),
            "value_int" when a.HasI => Origin(Tensor.FromInt64s(name, [], [a.I])),
            "value_ints" => Origin(Tensor.FromInt64s(name, [a.Ints.Count], a.Ints.ToArray())),
            "value_string" when a.HasS => Strings(name, [], [a.S]),
            "value_strings" => Strings(name, [a.Strings.Count], a.Strings),
            _ => null, // sparse_value and anything unexpected stay a node
        };
    }

    private static Tensor Origin(Tensor t)
    {
        t.Origin = TensorOrigin.ConstantNode;
        return t;
    }

    private static Tensor Strings(string name, long[] dims, IEnumerable<ByteString> values) =>
        new(name, DataType.String, dims, Array.Empty<byte>(), TensorOrigin.ConstantNode)
        {
            StringData = values.Select(v => v.ToByteArray()).ToArray(),
        };
}
