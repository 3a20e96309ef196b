using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX MaxPool (with its Indices output) / AveragePool over 1 to 3 spatial axes → <see cref="PoolOp"/>;
/// GlobalAveragePool / GlobalMaxPool (any rank) → <see cref="GlobalAveragePoolOp"/> / <see cref="GlobalMaxPoolOp"/>.
/// </summary>
internal sealed class PoolLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.OpType is "GlobalAveragePool" or "GlobalMaxPool")
        {
            var gx = c.Read(node.Inputs[0]);
            var gy = c.Write(node.Outputs[0]);
            c.Emit(node.OpType == "GlobalMaxPool" ? new GlobalMaxPoolOp(gx, gy) : new GlobalAveragePoolOp(gx, gy));
            return;
        }

        bool withIndices = node.OpType == "MaxPool" && node.Outputs.Count > 1 && node.Outputs[1].Length > 0;
        var k = node.GetInts("kernel_shape")?.Select(v => checked((int)v)).ToArray()
            ?? throw new UnsupportedNodeException("kernel_shape is missing");
        if (k.Length is < 1 or > 3)
        {
            throw new UnsupportedNodeException($"{k.Length} spatial axes (1 to 3 are supported)");
        }

        var ones = Enumerable.Repeat(1, k.Length).ToArray();
        var x = c.Read(node.Inputs[0]);
        var y = c.Write(node.Outputs[0]);
        var indices = withIndices ? c.Write(node.Outputs[1]) : -1;
        c.Emit(new PoolOp(x, y, indices, node.OpType == "MaxPool", k, Window.Ints(node, "strides", ones), Window.Ints(node, "dilations", ones),
            Window.Ints(node, "pads", new int[2 * k.Length]), Window.AutoPad(node), node.GetInt("ceil_mode", 0) != 0, node.GetInt("count_include_pad", 0) != 0,
            withIndices && node.GetInt("storage_order", 0) != 0));
    }
}
