using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Index-driven element movement: GatherElements → <see cref="GatherElementsOp"/>, GatherND → <see cref="GatherNDOp"/>,
/// ScatterElements and the deprecated Scatter → <see cref="ScatterElementsOp"/>, ScatterND → <see cref="ScatterNDOp"/>,
/// Compress → <see cref="CompressOp"/>, ReverseSequence → <see cref="ReverseSequenceOp"/>, NonZero → <see cref="NonZeroOp"/>,
/// Unique → <see cref="UniqueOp"/>.
/// Index operands may be constants or computed; they must be integers (int64, or int32 computed as int64).
/// </summary>
internal sealed class IndexingLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } =
        ["GatherElements", "GatherND", "ScatterElements", "Scatter", "ScatterND", "Compress", "ReverseSequence", "NonZero", "Unique"];

    public void Lower(LoweringContext c, Node node)
    {
        var op = node.OpType;
        if (op is "GatherElements" or "GatherND" or "ScatterElements" or "Scatter" or "ScatterND" or "ReverseSequence")
        {
            RequireType(c, node.Inputs[1], TensorType.Int64, "indices");
        }

        if (op == "Compress")
        {
            RequireType(c, node.Inputs[1], TensorType.Bool, "the condition");
        }

        var x = c.Read(node.Inputs[0]);
        switch (op)
        {
            case "GatherElements":
            {
                var indices = c.Read(node.Inputs[1]);
                c.Emit(new GatherElementsOp(x, indices, c.Write(node.Outputs[0]), Axis(node, 0)));
                return;
            }

            case "GatherND":
            {
                var indices = c.Read(node.Inputs[1]);
                c.Emit(new GatherNDOp(x, indices, c.Write(node.Outputs[0]), Axis(node, 0, "batch_dims")));
                return;
            }

            case "ScatterElements" or "Scatter":
            {
                var indices = c.Read(node.Inputs[1]);
                var updates = c.Read(node.Inputs[2]);
                c.Emit(new ScatterElementsOp(x, indices, updates, c.Write(node.Outputs[0]), Axis(node, 0), Reduction(c, node)));
                return;
            }

            case "ScatterND":
            {
                var indices = c.Read(node.Inputs[1]);
                var updates = c.Read(node.Inputs[2]);
                c.Emit(new ScatterNDOp(x, indices, updates, c.Write(node.Outputs[0]), Reduction(c, node)));
                return;
            }

            case "Compress":
            {
                var condition = c.Read(node.Inputs[1]);
                var hasAxis = node.Attribute("axis") is not null;
                c.Emit(new CompressOp(x, condition, c.Write(node.Outputs[0]), Axis(node, 0), !hasAxis));
                return;
            }

            case "ReverseSequence":
            {
                var lens = c.Read(node.Inputs[1]);
                c.Emit(new ReverseSequenceOp(x, lens, c.Write(node.Outputs[0]), Axis(node, 1, "batch_axis"), Axis(node, 0, "time_axis")));
                return;
            }

            case "Unique":
            {
                int Optional(int i) => i < node.Outputs.Count && node.Outputs[i].Length > 0 ? c.Write(node.Outputs[i]) : -1;
                var y = c.Write(node.Outputs[0]);
                var (indices, inverse, counts) = (Optional(1), Optional(2), Optional(3));
                c.Emit(new UniqueOp(x, y, indices, inverse, counts, Axis(node, 0), node.Attribute("axis") is null, node.GetInt("sorted", 1) != 0));
                return;
            }

            default:
                c.Emit(new NonZeroOp(x, c.Write(node.Outputs[0])));
                return;
        }
    }

    private static int Axis(Node node, long fallback, string name = "axis") => checked((int)node.GetInt(name, fallback));

    private static void RequireType(LoweringContext c, string name, TensorType type, string what)
    {
        if (c.TensorTypeOf(name) != type)
        {
            throw new UnsupportedNodeException($"{what} '{name}' of type {c.TensorTypeOf(name)}, not {type}");
        }
    }

    private static ScatterReduction Reduction(LoweringContext c, Node node)
    {
        var reduction = node.GetString("reduction", "none") switch
        {
            "none" => ScatterReduction.None,
            "add" => ScatterReduction.Add,
            "mul" => ScatterReduction.Mul,
            "max" => ScatterReduction.Max,
            "min" => ScatterReduction.Min,
            var other => throw new UnsupportedNodeException($"reduction '{other}'"),
        };
        if (reduction != ScatterReduction.None && c.TensorTypeOf(node.Inputs[0]) == TensorType.Bool)
        {
            throw new UnsupportedNodeException($"reduction '{node.GetString("reduction", "")}' on bool data");
        }

        return reduction;
    }
}
