using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Trilu → <see cref="TriluOp"/>; the optional k (an int64 scalar, constant or computed) is read per call.</summary>
internal sealed class TriluLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Trilu"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.InputOrNull(1) is { } kName && c.TensorTypeOf(kName) != TensorType.Int64)
        {
            throw new UnsupportedNodeException("k is not int64");
        }

        var x = c.Read(node.Inputs[0]);
        var k = node.InputOrNull(1) is { } name ? c.Read(name) : -1;
        c.Emit(new TriluOp(x, k, c.Write(node.Outputs[0]), node.GetInt("upper", 1) != 0));
    }
}
