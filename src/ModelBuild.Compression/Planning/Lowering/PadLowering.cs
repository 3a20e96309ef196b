using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Pad → <see cref="PadOp"/>: pads and value as attributes (opset &lt; 11) or inputs (constant or computed),
/// the axes input (opset 18), modes constant / reflect / edge / wrap.
/// </summary>
internal sealed class PadLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Pad"];

    public void Lower(LoweringContext c, Node node)
    {
        var mode = node.GetString("mode", "constant") switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            "wrap" => PadMode.Wrap,
            var other => throw new UnsupportedNodeException($"mode '{other}'"),
        };
        var x = c.Read(node.Inputs[0]);
        if (c.Opset < 11)
        {
            var pads = node.GetInts("pads") ?? node.GetInts("paddings") ?? throw new UnsupportedNodeException("no pads attribute");
            c.Emit(new PadOp(x, c.Write(node.Outputs[0]), pads, -1, [], -1, node.GetFloat("value", 0f), -1, mode));
            return;
        }

        var (constPads, padsValue) = Operand(c, node, 1);
        if (node.InputOrNull(1) is null)
        {
            throw new UnsupportedNodeException("no pads input");
        }

        var value = node.InputOrNull(2) is { } v ? c.Read(v) : -1;
        var (constAxes, axesValue) = Operand(c, node, 3);
        c.Emit(new PadOp(x, c.Write(node.Outputs[0]), constPads, padsValue, constAxes, axesValue, 0f, value, mode));
    }

    /// <summary>An int64 operand as a constant list, or as a value read per call.</summary>
    internal static (long[] Constant, int Value) Operand(LoweringContext c, Node node, int input)
    {
        if (node.InputOrNull(input) is not { } name)
        {
            return ([], -1);
        }

        return c.ConstantInts(node, input) is { } values ? (values, -1) : ([], c.Read(name));
    }
}
