using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>NonMaxSuppression → <see cref="NonMaxSuppressionOp"/>; the optional scalar inputs may be constants or computed.</summary>
internal sealed class NonMaxSuppressionLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["NonMaxSuppression"];

    public void Lower(LoweringContext c, Node node)
    {
        var centerPointBox = node.GetInt("center_point_box", 0);
        if (centerPointBox is not (0 or 1))
        {
            throw new UnsupportedNodeException($"center_point_box = {centerPointBox}");
        }

        Expect(c, node, 0, TensorType.Float32);
        Expect(c, node, 1, TensorType.Float32);
        Expect(c, node, 2, TensorType.Int64);
        Expect(c, node, 3, TensorType.Float32);
        Expect(c, node, 4, TensorType.Float32);
        var boxes = c.Read(node.Inputs[0]);
        var scores = c.Read(node.Inputs[1]);
        var max = Optional(c, node, 2);
        var iou = Optional(c, node, 3);
        var score = Optional(c, node, 4);
        c.Emit(new NonMaxSuppressionOp(boxes, scores, max, iou, score, c.Write(node.Outputs[0]), centerPointBox == 1));
    }

    private static void Expect(LoweringContext c, Node node, int input, TensorType type)
    {
        if (node.InputOrNull(input) is { } name && c.TensorTypeOf(name) != type)
        {
            throw new UnsupportedNodeException($"input {input} ('{name}') is not {type}");
        }
    }

    private static int Optional(LoweringContext c, Node node, int input) => node.InputOrNull(input) is { } name ? c.Read(name) : -1;
}
