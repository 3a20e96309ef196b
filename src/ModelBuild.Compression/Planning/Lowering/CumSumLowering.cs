using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX CumSum → <see cref="CumSumOp"/>; the axis input must be a constant.</summary>
internal sealed class CumSumLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["CumSum"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) == TensorType.Bool)
        {
            throw new UnsupportedNodeException("CumSum of a bool tensor");
        }

        var axis = c.ConstantInts(node, 1) switch
        {
            [var a] => a,
            null => throw new UnsupportedNodeException("the axis input is computed, not constant"),
            var other => throw new UnsupportedNodeException($"the axis input holds {other.Length} values, not one"),
        };
        var x = c.Read(node.Inputs[0]);
        c.Emit(new CumSumOp(x, c.Write(node.Outputs[0]), checked((int)axis), node.GetInt("exclusive", 0) != 0, node.GetInt("reverse", 0) != 0));
    }
}
