using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Operators with bool tensors on one side: comparisons (→ <see cref="CompareOp"/>), And/Or/Xor (→
/// <see cref="LogicalOp"/>), Not, IsNaN/IsInf (→ <see cref="FloatTestOp"/>) and Where (→ <see cref="WhereOp"/>).
/// </summary>
internal sealed class LogicLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } =
        ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf", "Where"];

    public void Lower(LoweringContext c, Node node)
    {
        BinaryLowering.RequireNumpyBroadcasting(node);
        switch (node.OpType)
        {
            case "And" or "Or" or "Xor":
                RequireTypes(c, node, TensorType.Bool, 0, 1);
                Emit2(c, node, (a, b, y) => new LogicalOp(a, b, y, Enum.Parse<LogicalFunction>(node.OpType)));
                break;
            case "Not":
                RequireTypes(c, node, TensorType.Bool, 0);
                c.Emit(new NotOp(c.Read(node.Inputs[0]), c.Write(node.Outputs[0])));
                break;
            case "IsNaN" or "IsInf":
                RequireTypes(c, node, TensorType.Float32, 0);
                var test = node.OpType == "IsNaN" ? FloatTest.NaN : InfinityTest(node);
                c.Emit(new FloatTestOp(c.Read(node.Inputs[0]), c.Write(node.Outputs[0]), test));
                break;
            case "Where":
                RequireTypes(c, node, TensorType.Bool, 0);
                if (c.TensorTypeOf(node.Inputs[1]) != c.TensorTypeOf(node.Outputs[0]) || c.TensorTypeOf(node.Inputs[2]) != c.TensorTypeOf(node.Outputs[0]))
                {
                    throw new UnsupportedNodeException("Where with X, Y and the output of different element types");
                }

                var condition = c.Read(node.Inputs[0]);
                var x = c.Read(node.Inputs[1]);
                var y = c.Read(node.Inputs[2]);
                c.Emit(new WhereOp(condition, x, y, c.Write(node.Outputs[0])));
                break;
            default:
                var type = c.TensorTypeOf(node.Inputs[0]);
                if (c.TensorTypeOf(node.Inputs[1]) != type || (type == TensorType.Bool && node.OpType != "Equal"))
                {
                    throw new UnsupportedNodeException($"{node.OpType} of {type} and {c.TensorTypeOf(node.Inputs[1])} tensors");
                }

                Emit2(c, node, (a, b, y) => new CompareOp(a, b, y, Enum.Parse<CompareFunction>(node.OpType)));
                break;
        }
    }

    /// <summary>IsInf's attributes (both default 1) as one test; detecting neither sign is refused (it is constant false).</summary>
    private static FloatTest InfinityTest(Node node) =>
        (node.GetInt("detect_negative", 1) != 0, node.GetInt("detect_positive", 1) != 0) switch
        {
            (true, true) => FloatTest.Infinity,
            (false, true) => FloatTest.PositiveInfinity,
            (true, false) => FloatTest.NegativeInfinity,
            _ => throw new UnsupportedNodeException("IsInf detecting neither sign"),
        };

    private static void Emit2(LoweringContext c, Node node, Func<int, int, int, Op> op)
    {
        if (node.Inputs.Count != 2 || node.Inputs.Any(i => i.Length == 0))
        {
            throw new UnsupportedNodeException($"{node.OpType} with {node.Inputs.Count} inputs (two are expected)");
        }

        var a = c.Read(node.Inputs[0]);
        var b = c.Read(node.Inputs[1]);
        c.Emit(op(a, b, c.Write(node.Outputs[0])));
    }

    private static void RequireTypes(LoweringContext c, Node node, TensorType type, params int[] inputs)
    {
        foreach (var i in inputs)
        {
            if (node.InputOrNull(i) is not { } name || c.TensorTypeOf(name) != type)
            {
                throw new UnsupportedNodeException($"{node.OpType} input {i} is not {type}");
            }
        }
    }
}
