using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Max, Min, Sum and Mean. Two inputs (the common case, and what <c>VariadicToBinaryPass</c> leaves of Max, Min
/// and Sum) → one <see cref="BinaryOp"/>; Mean, and any other input count when the pass has not run, → one
/// <see cref="VariadicOp"/>, which accumulates in the same order and divides Mean's sum at the end.
/// </summary>
internal sealed class VariadicLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Max", "Min", "Sum", "Mean"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Inputs.Count == 0 || node.Inputs.Any(i => i.Length == 0))
        {
            throw new UnsupportedNodeException($"{node.OpType} with no or empty inputs");
        }

        var type = c.TensorTypeOf(node.Outputs[0]);
        if (type == TensorType.Bool || (type == TensorType.Int64 && node.OpType == "Mean"))
        {
            throw new UnsupportedNodeException($"{node.OpType} on {type} tensors");
        }

        if (node.Inputs.Any(i => c.TensorTypeOf(i) != type))
        {
            throw new UnsupportedNodeException($"{node.OpType} of inputs with different element types");
        }

        if (node.Inputs.Count == 2 && node.OpType != "Mean")
        {
            var fn = node.OpType == "Sum" ? BinaryFunction.Add : Enum.Parse<BinaryFunction>(node.OpType);
            var a = c.Read(node.Inputs[0]);
            var b = c.Read(node.Inputs[1]);
            c.Emit(new BinaryOp(a, b, c.Write(node.Outputs[0]), fn));
            return;
        }

        var inputs = node.Inputs.Select(c.Read).ToArray();
        c.Emit(new VariadicOp(inputs, c.Write(node.Outputs[0]), Enum.Parse<VariadicFunction>(node.OpType)));
    }
}
