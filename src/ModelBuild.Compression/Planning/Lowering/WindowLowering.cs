using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>HannWindow, HammingWindow and BlackmanWindow → <see cref="CosineWindowOp"/> with the window's coefficients.</summary>
internal sealed class WindowLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["HannWindow", "HammingWindow", "BlackmanWindow"];

    public void Lower(LoweringContext c, Node node)
    {
        // Coefficients from the operators' function bodies in onnx Operators.md (opset 17).
        var (a0, a1, a2) = node.OpType switch
        {
            "HannWindow" => (0.5f, 0.5f, 0f),
            "HammingWindow" => (25f / 46f, 21f / 46f, 0f),
            _ => (0.42f, 0.5f, 0.08f),
        };
        if (c.TensorTypeOf(node.Outputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("an integer output_datatype");
        }

        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Int64)
        {
            throw new UnsupportedNodeException("a size that is not an integer");
        }

        var size = c.Read(node.Inputs[0]);
        c.Emit(new CosineWindowOp(size, c.Write(node.Outputs[0]), a0, a1, a2, node.GetInt("periodic", 1) != 0));
    }
}
