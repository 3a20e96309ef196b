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

        var a = Operand(c, node.Inputs[0], outType);
        var b = Operand(c, node.Inputs[1], outType);
        c.ReadId(a);
        c.ReadId(b);
        c.Emit(new BinaryOp(a, b, c.Write(node.Outputs[0]), fn));
    }

    /// <summary>An operand in the output's element type: Pow's exponent may be an integer tensor (ONNX T2), cast here.</summary>
    private static int Operand(LoweringContext c, string name, Runtime.Execution.TensorType type)
    {
        var value = c.Read(name);
        if (c.Values[value].Type == type)
        {
            return value;
        }

        var cast = c.WriteTemp(name + "/as-" + type, type);
        c.Emit(new CastOp(value, cast, ""));
        return cast;
    }
}
