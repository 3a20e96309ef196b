using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Add/Sub/Mul/Div/Pow/Mod/PRelu with numpy broadcasting → <see cref="BinaryOp"/>; operands may be constants on
/// either side. (Max, Min, Sum and Mean, which take any number of inputs, are <see cref="VariadicLowering"/>'s.)
/// </summary>
internal sealed class BinaryLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Inputs.Count != 2 || node.Inputs.Any(i => i.Length == 0))
        {
            throw new UnsupportedNodeException($"{node.OpType} with {node.Inputs.Count} inputs (two are supported)");
        }

        RequireNumpyBroadcasting(node);
        var fn = node.OpType switch
        {
            "Mod" => node.GetInt("fmod", 0) == 1 ? BinaryFunction.FMod : BinaryFunction.Mod,

            // Before opset 7 the slope was per channel (not numpy-broadcast), and Add/Mul/... had an axis attribute.
            "PRelu" when c.Opset < 7 => throw new UnsupportedNodeException("PRelu before opset 7 (legacy per-channel slope)"),
            _ => Enum.Parse<BinaryFunction>(node.OpType),
        };
        var outType = c.TensorTypeOf(node.Outputs[0]);
        if (outType == TensorType.Bool)
        {
            throw new UnsupportedNodeException($"{node.OpType} on {outType} tensors");
        }

        if (fn == BinaryFunction.Pow && outType == TensorType.Int64 && c.TensorTypeOf(node.Inputs[1]) == TensorType.Float32)
        {
            RequireIntegralExponent(c, node.Inputs[1]);
        }

        var a = Operand(c, node.Inputs[0], outType);
        var b = Operand(c, node.Inputs[1], outType);
        c.ReadId(a);
        c.ReadId(b);
        c.Emit(new BinaryOp(a, b, c.Write(node.Outputs[0]), fn));
    }

    /// <summary>
    /// Before opset 7, <c>broadcast = 1</c> with an <c>axis</c> aligned the second operand at that axis, not at the
    /// right as numpy does; without an axis the two agree.
    /// </summary>
    internal static void RequireNumpyBroadcasting(Node node)
    {
        if (node.GetInt("broadcast", 0) != 0 && node.Attribute("axis") is not null)
        {
            throw new UnsupportedNodeException("legacy broadcasting with an axis (opset < 7)");
        }
    }

    /// <summary>
    /// An integer base with a float exponent is computed in int64 after casting the exponent, which is exact only when
    /// every exponent is an integer; a computed or fractional exponent is refused.
    /// </summary>
    private static void RequireIntegralExponent(LoweringContext c, string exponent)
    {
        if (c.Constant(exponent)?.ToFloats() is not { } values || values.Any(v => v != MathF.Truncate(v)))
        {
            throw new UnsupportedNodeException("Pow of an integer base with a non-integral or computed float exponent");
        }
    }

    /// <summary>An operand in the output's element type: Pow's exponent may be another type (ONNX T2), cast here.</summary>
    private static int Operand(LoweringContext c, string name, TensorType type)
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
