using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX MaxPool / AveragePool (2-D) → <see cref="PoolOp"/>; GlobalAveragePool → <see cref="GlobalAveragePoolOp"/>.</summary>
internal sealed class PoolLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["MaxPool", "AveragePool", "GlobalAveragePool"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            throw new UnsupportedNodeException("the Indices output");
        }

        if (node.OpType == "GlobalAveragePool")
        {
            var gx = c.Read(node.Inputs[0]);
            c.Emit(new GlobalAveragePoolOp(gx, c.Write(node.Outputs[0])));
            return;
        }

        if (node.GetInt("storage_order", 0) != 0)
        {
            throw new UnsupportedNodeException("storage_order = 1");
        }

        var k = Window.Ints(node, "kernel_shape", [0, 0]);
        var x = c.Read(node.Inputs[0]);
        var y = c.Write(node.Outputs[0]);
        c.Emit(new PoolOp(x, y, node.OpType == "MaxPool", k, Window.Ints(node, "strides", [1, 1]), Window.Ints(node, "dilations", [1, 1]),
            Window.Ints(node, "pads", [0, 0, 0, 0]), Window.AutoPad(node), node.GetInt("ceil_mode", 0) != 0, node.GetInt("count_include_pad", 0) != 0));
    }
}
