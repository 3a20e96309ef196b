using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Softmax on any axis → <see cref="SoftmaxOp"/> (opsets before 13 normalise over the flattened tail).</summary>
internal sealed class SoftmaxLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Softmax"];

    public void Lower(LoweringContext c, Node node)
    {
        var legacy = c.Opset < 13;
        var axis = node.GetInt("axis", legacy ? 1 : -1);
        var x = c.Read(node.Inputs[0]);
        c.Emit(new SoftmaxOp(x, c.Write(node.Outputs[0]), checked((int)axis), legacy));
    }
}
