using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX ArgMax / ArgMin → <see cref="ArgReduceOp"/> (float32 inputs).</summary>
internal sealed class ArgReduceLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["ArgMax", "ArgMin"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException($"{node.OpType} of a {c.TensorTypeOf(node.Inputs[0])} tensor (only float32)");
        }

        var x = c.Read(node.Inputs[0]);
        c.Emit(new ArgReduceOp(x, c.Write(node.Outputs[0]), node.OpType == "ArgMax", checked((int)node.GetInt("axis", 0)),
            node.GetInt("keepdims", 1) != 0, node.GetInt("select_last_index", 0) != 0));
    }
}
