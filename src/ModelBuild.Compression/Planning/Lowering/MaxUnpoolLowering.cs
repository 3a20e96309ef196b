using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX MaxUnpool (float data, indices and output_shape constant or computed) → <see cref="MaxUnpoolOp"/>.</summary>
internal sealed class MaxUnpoolLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["MaxUnpool"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("only float data is unpooled");
        }

        var k = node.GetInts("kernel_shape")?.Select(v => checked((int)v)).ToArray() ?? throw new UnsupportedNodeException("kernel_shape is missing");
        var x = c.Read(node.Inputs[0]);
        var indices = c.Read(node.Inputs[1]);
        var outputShape = node.InputOrNull(2) is { } s ? c.Read(s) : -1;
        c.Emit(new MaxUnpoolOp(x, indices, outputShape, c.Write(node.Outputs[0]), k, Window.Ints(node, "strides", Enumerable.Repeat(1, k.Length).ToArray()),
            Window.Ints(node, "pads", new int[2 * k.Length])));
    }
}
