using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Shape-only operators → <see cref="ViewOp"/> records whose output shares the input's storage (no copy):
/// Reshape (constant or computed shape), Flatten, Squeeze, Unsqueeze (axes as attribute or constant input),
/// Identity, and Dropout in inference mode.
/// </summary>
internal sealed class ViewLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.OpType == "Dropout")
        {
            if (node.Outputs.Skip(1).Any(o => o.Length > 0))
            {
                throw new UnsupportedNodeException("the mask output");
            }

            if (node.InputOrNull(2) is { } mode && c.ConstantInts(node, 2) is not [0])
            {
                throw new UnsupportedNodeException(c.Constant(mode) is null ? "training_mode is computed" : "training_mode is true (random dropout at inference)");
            }
        }

        var x = c.Read(node.Inputs[0]);
        int? shapeValue = null;
        var constantShape = node.OpType == "Reshape" ? c.ConstantInts(node, 1) ?? node.GetInts("shape") : null; // opset < 5: an attribute
        if (node.OpType == "Reshape" && constantShape is null)
        {
            shapeValue = c.Read(node.InputOrNull(1) ?? throw new UnsupportedNodeException("Reshape has neither a shape input nor a shape attribute"));
        }

        var y = c.WriteAlias(node.Outputs[0], x);
        c.Emit(node.OpType switch
        {
            "Reshape" => new ReshapeOp(x, y, shapeValue ?? -1, constantShape ?? [], node.GetInt("allowzero", 0) != 0),
            "Flatten" => new FlattenOp(x, y, checked((int)node.GetInt("axis", 1))),
            "Squeeze" => new SqueezeOp(x, y, Axes(c, node)),
            "Unsqueeze" => new UnsqueezeOp(x, y, Axes(c, node)),
            _ => new IdentityOp(x, y),
        });
    }

    /// <summary>Axes from the attribute (opset &lt; 13) or the constant second input.</summary>
    private static int[] Axes(LoweringContext c, Node node)
    {
        var axes = node.GetInts("axes") ?? (node.InputOrNull(1) is null ? [] : c.ConstantInts(node, 1)
            ?? throw new UnsupportedNodeException("the axes are computed, not constant"));
        return axes.Select(a => checked((int)a)).ToArray();
    }
}

/// <summary>ONNX Cast and CastLike between float32, int64 and bool → <see cref="CastOp"/> (or a view when the type does not change).</summary>
internal sealed class CastLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Cast", "CastLike"];

    public void Lower(LoweringContext c, Node node)
    {
        var from = c.TensorTypeOf(node.Inputs[0]);
        var to = c.TensorTypeOf(node.Outputs[0]);

        // CastLike's target is the element type of its second input, whose values are never read.
        var target = node.OpType == "CastLike" ? TargetOf(c, node.Inputs[1]) : (DataType)node.GetInt("to", 0);
        var roundTo = target switch
        {
            DataType.Float16 => "float16",
            DataType.BFloat16 => "bfloat16",
            _ => "",
        };
        var x = c.Read(node.Inputs[0]);
        if (from == to && roundTo.Length == 0)
        {
            c.Emit(new IdentityOp(x, c.WriteAlias(node.Outputs[0], x)));
            return;
        }

        c.Emit(new CastOp(x, c.Write(node.Outputs[0]), roundTo));
    }

    private static DataType TargetOf(LoweringContext c, string like) =>
        c.Graph.GetValueInfo(like)?.ElementType ?? c.Graph.GetInitializer(like)?.DataType
        ?? throw new UnsupportedNodeException($"the element type of '{like}' is unknown");
}
