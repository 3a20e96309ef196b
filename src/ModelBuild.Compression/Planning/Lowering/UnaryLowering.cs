using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>Element-wise activations → <see cref="UnaryOp"/> (run in place when the input dies here).</summary>
internal sealed class UnaryLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } =
    [
        "Relu", "Sigmoid", "Tanh", "HardSwish", "Exp", "Neg", "Abs", "Sqrt", "Erf", "LeakyRelu", "HardSigmoid", "Gelu", "Clip",
        "Reciprocal", "Log", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
        "Asinh", "Acosh", "Atanh", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Shrink",
    ];

    public void Lower(LoweringContext c, Node node)
    {
        var (fn, alpha, beta) = node.OpType switch
        {
            "LeakyRelu" => (UnaryFunction.LeakyRelu, node.GetFloat("alpha", 0.01f), 0f),
            "HardSigmoid" => (UnaryFunction.HardSigmoid, node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)),
            "Gelu" => node.GetString("approximate", "none") switch
            {
                "none" => (UnaryFunction.Gelu, 0f, 0f),
                "tanh" => (UnaryFunction.GeluTanh, 0f, 0f),
                var other => throw new UnsupportedNodeException($"approximate = {other}"),
            },
            // An omitted bound is the type's lowest/highest finite value (ONNX Clip: numeric_limits::lowest()/max()), not
            // ±∞: Clip(+∞) with no max is FLT_MAX, as ONNX Runtime gives.
            "Clip" => (UnaryFunction.Clip, ClipBound(c, node, 1, "min", float.MinValue), ClipBound(c, node, 2, "max", float.MaxValue)),

            // Defaults from the ONNX operator spec (Selu's are its float32 constants; gamma travels as beta).
            "Elu" => (UnaryFunction.Elu, node.GetFloat("alpha", 1f), 0f),
            "Selu" => (UnaryFunction.Selu, node.GetFloat("alpha", 1.67326319217681884765625f), node.GetFloat("gamma", 1.05070102214813232421875f)),
            "Celu" => (UnaryFunction.Celu, node.GetFloat("alpha", 1f), 0f),
            "ThresholdedRelu" => (UnaryFunction.ThresholdedRelu, node.GetFloat("alpha", 1f), 0f),
            "Shrink" => (UnaryFunction.Shrink, node.GetFloat("lambd", 0.5f), node.GetFloat("bias", 0f)),
            _ => (Enum.Parse<UnaryFunction>(node.OpType), 0f, 0f),
        };
        var type = c.TensorTypeOf(node.Inputs[0]);
        if (type != Runtime.Execution.TensorType.Float32
            && !(type == Runtime.Execution.TensorType.Int64 && fn is UnaryFunction.Neg or UnaryFunction.Abs or UnaryFunction.Sign or UnaryFunction.Relu))
        {
            throw new UnsupportedNodeException($"{node.OpType} of a {type} tensor");
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
