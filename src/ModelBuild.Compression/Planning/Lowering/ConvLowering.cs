using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Conv (2-D, any groups, pads/auto_pad, strides, dilations) → <see cref="ConvOp"/>, with a following Relu fused.</summary>
internal sealed class ConvLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Conv"];

    public void Lower(LoweringContext c, Node node)
    {
        var w = c.Constant(node.InputOrNull(1) ?? "") ?? throw new UnsupportedNodeException("the weight W is not a constant");
        if (w.Dims.Length != 4)
        {
            throw new UnsupportedNodeException($"only 2-D convolution is supported (W has rank {w.Dims.Length})");
        }

        var k = Window.Ints(node, "kernel_shape", [(int)w.Dims[2], (int)w.Dims[3]]);
        var weight = c.Matrix(w.Name, transposed: false);
        var bias = node.InputOrNull(2) is { } b ? c.Floats(b + "#v", b, (c.Constant(b) ?? throw new UnsupportedNodeException("the bias B is not a constant")).ToFloats()) : -1;
        var x = c.Read(node.Inputs[0]);
        var (output, act) = c.FuseRelu(node);
        var y = c.Write(output);
        c.Emit(new ConvOp(x, y, weight, bias, k, Window.Ints(node, "strides", [1, 1]), Window.Ints(node, "dilations", [1, 1]),
            Window.Ints(node, "pads", [0, 0, 0, 0]), Window.AutoPad(node), (int)node.GetInt("group", 1), act));
    }
}

/// <summary>Attribute helpers shared by the windowed operators.</summary>
internal static class Window
{
    public static int[] Ints(Node node, string name, int[] fallback)
    {
        var values = node.GetInts(name)?.Select(v => v is >= int.MinValue and <= int.MaxValue ? (int)v
            : throw new UnsupportedNodeException($"{name} holds {v}")).ToArray() ?? fallback;
        return values.Length == fallback.Length ? values
            : throw new UnsupportedNodeException($"{name} must have {fallback.Length} values, has {values.Length}");
    }

    public static string AutoPad(Node node)
    {
        var autoPad = node.GetString("auto_pad", "NOTSET");
        return autoPad is "NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID" ? autoPad
            : throw new UnsupportedNodeException($"auto_pad '{autoPad}' is not an ONNX value");
    }
}
