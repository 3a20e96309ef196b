using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Operators that make a tensor from shapes or scalars: ConstantOfShape → <see cref="ConstantOfShapeOp"/>,
/// Range → <see cref="RangeOp"/>, Size → <see cref="SizeOp"/>, EyeLike → <see cref="EyeLikeOp"/>,
/// OneHot → <see cref="OneHotOp"/>.
/// </summary>
internal sealed class GeneratorLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["ConstantOfShape", "Range", "Size", "EyeLike", "OneHot"];

    public void Lower(LoweringContext c, Node node)
    {
        switch (node.OpType)
        {
            case "ConstantOfShape":
                var value = node.Attribute("value")?.Tensor;
                if (value is { ElementCount: not 1 })
                {
                    throw new UnsupportedNodeException($"a value attribute of {value.ElementCount} elements");
                }

                var type = c.TensorTypeOf(node.Outputs[0]);
                var shape = c.Read(node.Inputs[0]);
                c.Emit(new ConstantOfShapeOp(shape, c.Write(node.Outputs[0]),
                    value is not null && type == TensorType.Float32 ? value.ToFloats()[0] : 0f,
                    value is not null && type != TensorType.Float32 ? value.ToInt64s()[0] : 0L));
                return;
            case "Range":
                var output = c.TensorTypeOf(node.Outputs[0]);
                if (output == TensorType.Bool || node.Inputs.Take(3).Any(i => c.TensorTypeOf(i) != output))
                {
                    throw new UnsupportedNodeException("start, limit and delta must be float32 or int64 like the output");
                }

                var start = c.Read(node.Inputs[0]);
                var limit = c.Read(node.Inputs[1]);
                var delta = c.Read(node.Inputs[2]);
                c.Emit(new RangeOp(start, limit, delta, c.Write(node.Outputs[0])));
                return;
            case "Size":
                var x = c.Read(node.Inputs[0]);
                c.Emit(new SizeOp(x, c.Write(node.Outputs[0])));
                return;
            case "EyeLike":
                var input = c.Read(node.Inputs[0]);
                c.Emit(new EyeLikeOp(input, c.Write(node.Outputs[0]), checked((int)node.GetInt("k", 0))));
                return;
            default:
                LowerOneHot(c, node);
                return;
        }
    }

    private static void LowerOneHot(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) == TensorType.Bool || c.TensorTypeOf(node.Inputs[1]) == TensorType.Bool)
        {
            throw new UnsupportedNodeException("bool indices or depth");
        }

        if (c.TensorTypeOf(node.Inputs[2]) != c.TensorTypeOf(node.Outputs[0]))
        {
            throw new UnsupportedNodeException("values and output differ in type");
        }

        var indices = c.Read(node.Inputs[0]);
        var depth = c.Read(node.Inputs[1]);
        var values = c.Read(node.Inputs[2]);
        c.Emit(new OneHotOp(indices, depth, values, c.Write(node.Outputs[0]), checked((int)node.GetInt("axis", -1))));
    }
}
