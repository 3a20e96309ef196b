using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Shape of an activation (symbolic dims are read per call) → <see cref="ShapeOp"/>.</summary>
internal sealed class ShapeLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Shape"];

    public void Lower(LoweringContext c, Node node)
    {
        var start = node.GetInt("start", 0);
        var end = node.GetInt("end", int.MaxValue);
        var x = c.Read(node.Inputs[0]);
        c.Emit(new ShapeOp(x, c.Write(node.Outputs[0]), (int)Math.Clamp(start, int.MinValue, int.MaxValue), (int)Math.Clamp(end, int.MinValue, int.MaxValue)));
    }
}

/// <summary>ONNX Gather (indices constant or computed) → <see cref="GatherOp"/>.</summary>
internal sealed class GatherLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Gather"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[1]) != Runtime.Execution.TensorType.Int64 && c.Constant(node.Inputs[1]) is null)
        {
            throw new UnsupportedNodeException("computed indices that are not int64");
        }

        var x = c.Read(node.Inputs[0]);
        var indices = c.Read(node.Inputs[1]);
        c.Emit(new GatherOp(x, indices, c.Write(node.Outputs[0]), checked((int)node.GetInt("axis", 0))));
    }
}

/// <summary>ONNX Slice (opset 1–9 attributes or opset 10+ inputs, constant or computed) → <see cref="SliceOp"/>.</summary>
internal sealed class SliceLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Slice"];

    public void Lower(LoweringContext c, Node node)
    {
        var x = c.Read(node.Inputs[0]);
        if (c.Opset < 10)
        {
            c.Emit(new SliceOp(x, c.Write(node.Outputs[0]), node.GetInts("starts") ?? [], node.GetInts("ends") ?? [], node.GetInts("axes") ?? [], [],
                -1, -1, -1, -1));
            return;
        }

        (long[] Constant, int Value) Operand(int i)
        {
            if (node.InputOrNull(i) is not { } name)
            {
                return ([], -1);
            }

            return c.ConstantInts(node, i) is { } values ? (values, -1) : ([], c.Read(name));
        }

        var starts = Operand(1);
        var ends = Operand(2);
        var axes = Operand(3);
        var steps = Operand(4);
        c.Emit(new SliceOp(x, c.Write(node.Outputs[0]), starts.Constant, ends.Constant, axes.Constant, steps.Constant,
            starts.Value, ends.Value, axes.Value, steps.Value));
    }
}
