using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Conv (1-D to 3-D, any groups, pads/auto_pad, strides, dilations) → <see cref="ConvOp"/>, with a following Relu fused.</summary>
internal sealed class ConvLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Conv"];

    public void Lower(LoweringContext c, Node node) => Emit(c, node, residual: null, () => c.FuseRelu(node));

    /// <summary>
    /// Emits the <see cref="ConvOp"/> of <paramref name="node"/>, adding <paramref name="residual"/> (a value of the
    /// output's shape, or with fewer channels) before the activation when not null; <paramref name="output"/> names the
    /// value the op writes and its activation, asked once the node is known to be covered.
    /// </summary>
    internal static void Emit(LoweringContext c, Node node, string? residual, Func<(string Output, Activation Act)> output)
    {
        var w = c.Constant(node.InputOrNull(1) ?? "") ?? throw new UnsupportedNodeException("the weight W is not a constant");
        int rank = w.Dims.Length - 2;
        if (rank is < 1 or > 3)
        {
            throw new UnsupportedNodeException($"{rank} spatial axes (1 to 3 are supported)");
        }

        var dims = w.Dims.Select(d => checked((int)d)).ToArray();
        var k = Window.Ints(node, "kernel_shape", dims[2..]);
        if (!k.SequenceEqual(dims[2..]))
        {
            throw new UnsupportedNodeException($"kernel_shape does not match the weight [{string.Join(", ", dims)}]");
        }

        var ones = Enumerable.Repeat(1, rank).ToArray();
        var weight = c.ConvMatrix(w.Name, (int)node.GetInt("group", 1), k);
        var bias = node.InputOrNull(2) is { } b ? c.Floats(b + "#v", b, (c.Constant(b) ?? throw new UnsupportedNodeException("the bias B is not a constant")).ToFloats()) : -1;
        var x = c.Read(node.Inputs[0]);
        var r = residual is null ? -1 : c.Read(residual);
        var (name, act) = output();
        var y = c.Write(name);
        c.Emit(QuantizedConvLowering.Choose(c, w.Name, new ConvOp(x, y, weight, bias, k, Window.Ints(node, "strides", ones), Window.Ints(node, "dilations", ones),
            Window.Ints(node, "pads", new int[2 * rank]), Window.AutoPad(node), (int)node.GetInt("group", 1), act, r)));
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
