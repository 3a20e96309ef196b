using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>Element-wise activations → <see cref="UnaryOp"/> (run in place when the input dies here).</summary>
internal sealed class UnaryLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } =
        ["Relu", "Sigmoid", "Tanh", "HardSwish", "Exp", "Neg", "Abs", "Sqrt", "Erf", "LeakyRelu", "HardSigmoid", "Gelu", "Clip"];

    public void Lower(LoweringContext c, Node node)
    {
        var (fn, alpha, beta) = node.OpType switch
        {
            "LeakyRelu" => (UnaryFunction.LeakyRelu, node.GetFloat("alpha", 0.01f), 0f),
            "HardSigmoid" => (UnaryFunction.HardSigmoid, node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)),
            "Gelu" when node.GetString("approximate", "none") != "none" => throw new UnsupportedNodeException("approximate = tanh"),
            "Clip" => (UnaryFunction.Clip, ClipBound(c, node, 1, "min", float.NegativeInfinity), ClipBound(c, node, 2, "max", float.PositiveInfinity)),
            _ => (Enum.Parse<UnaryFunction>(node.OpType), 0f, 0f),
        };
        if (c.TensorTypeOf(node.Inputs[0]) != Runtime.Execution.TensorType.Float32)
        {
            throw new UnsupportedNodeException("the input is not float32");
        }

        var x = c.Read(node.Inputs[0]);
        c.Emit(new UnaryOp(x, c.Write(node.Outputs[0]), fn, alpha, beta));
    }

    private static float ClipBound(LoweringContext c, Node node, int input, string attribute, float fallback)
    {
        if (c.Opset < 11)
        {
            return node.GetFloat(attribute, fallback);
        }

        if (node.InputOrNull(input) is not { } name)
        {
            return fallback;
        }

        return c.Constant(name)?.ToFloats() is [var v] ? v : throw new UnsupportedNodeException($"Clip {attribute} is not a constant");
    }
}
