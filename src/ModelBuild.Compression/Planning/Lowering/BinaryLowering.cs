using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Add/Sub/Mul/Div/Max/Min/Pow with numpy broadcasting → <see cref="BinaryOp"/>; operands may be constants on either side.</summary>
internal sealed class BinaryLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Inputs.Count != 2 || node.Inputs.Any(i => i.Length == 0))
        {
            throw new UnsupportedNodeException($"{node.OpType} with {node.Inputs.Count} inputs (two are supported)");
        }

        var fn = Enum.Parse<BinaryFunction>(node.OpType);
        var outType = c.TensorTypeOf(node.Outputs[0]);
        if (outType == Runtime.Execution.TensorType.Bool || (outType == Runtime.Execution.TensorType.Int64 && fn == BinaryFunction.Pow))
        {
            throw new UnsupportedNodeException($"{node.OpType} on {outType} tensors");
        }

        var a = c.Read(node.Inputs[0]);
        var b = c.Read(node.Inputs[1]);
        c.Emit(new BinaryOp(a, b, c.Write(node.Outputs[0]), fn));
    }
}
