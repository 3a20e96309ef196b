using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX TopK → <see cref="TopKOp"/>: k from the attribute (opset 1), a constant K input, or a computed K read per
/// call. float32 inputs.
/// </summary>
internal sealed class TopKLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["TopK"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException($"TopK of a {c.TensorTypeOf(node.Inputs[0])} tensor (only float32)");
        }

        long kValue = 0;
        string? kInput = null;
        if (node.InputOrNull(1) is { } k)
        {
            if (c.ConstantInts(node, 1) is { } constant)
            {
                kValue = constant.Length == 1 ? constant[0] : throw new UnsupportedNodeException($"K holds {constant.Length} values, not one");
            }
            else
            {
                kInput = k;
            }
        }
        else
        {
            kValue = node.GetInt("k", -1) is >= 0 and var attribute ? attribute : throw new UnsupportedNodeException("TopK has neither a K input nor a k attribute");
        }

        var x = c.Read(node.Inputs[0]);
        var kId = kInput is null ? -1 : c.Read(kInput);
        var values = c.Write(node.Outputs[0]);
        var indices = c.Write(node.Outputs[1]);
        c.Emit(new TopKOp(x, kId, values, indices, kValue, checked((int)node.GetInt("axis", -1)),
            node.GetInt("largest", 1) != 0, node.GetInt("sorted", 1) != 0));
    }
}
