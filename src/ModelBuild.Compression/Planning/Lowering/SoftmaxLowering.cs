using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Softmax, LogSoftmax and Hardmax on any axis → <see cref="SoftmaxOp"/>, <see cref="LogSoftmaxOp"/>,
/// <see cref="HardmaxOp"/> (opsets before 13 normalise over the flattened tail).
/// </summary>
internal sealed class SoftmaxLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Softmax", "LogSoftmax", "Hardmax"];

    public void Lower(LoweringContext c, Node node)
    {
        var legacy = c.Opset < 13;
        var axis = node.GetInt("axis", legacy ? 1 : -1);
        var x = c.Read(node.Inputs[0]);
        var y = c.Write(node.Outputs[0]);
        c.Emit(node.OpType switch
        {
            "LogSoftmax" => new LogSoftmaxOp(x, y, checked((int)axis), legacy),
            "Hardmax" => new HardmaxOp(x, y, checked((int)axis), legacy),
            _ => new SoftmaxOp(x, y, checked((int)axis), legacy),
        });
    }
}
