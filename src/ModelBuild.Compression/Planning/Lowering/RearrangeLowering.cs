using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// Operators that copy elements into a new arrangement: Expand → <see cref="ExpandOp"/>, Tile → <see cref="TileOp"/>,
/// Split → <see cref="SplitOp"/>, DepthToSpace → <see cref="DepthToSpaceOp"/>, SpaceToDepth → <see cref="SpaceToDepthOp"/>.
/// Shape-like operands (target shape, repeats, split sizes) may be constants or computed per call.
/// </summary>
internal sealed class RearrangeLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Expand", "Tile", "Split", "DepthToSpace", "SpaceToDepth"];

    public void Lower(LoweringContext c, Node node)
    {
        switch (node.OpType)
        {
            case "Expand":
            {
                var x = c.Read(node.Inputs[0]);
                var (shape, shapeValue) = PadLowering.Operand(c, node, 1);
                c.Emit(new ExpandOp(x, c.Write(node.Outputs[0]), shape, shapeValue));
                return;
            }

            case "Tile":
            {
                if (c.Opset < 6)
                {
                    throw new UnsupportedNodeException("Tile before opset 6 (tiles and axis inputs)");
                }

                var x = c.Read(node.Inputs[0]);
                var (repeats, repeatsValue) = PadLowering.Operand(c, node, 1);
                c.Emit(new TileOp(x, c.Write(node.Outputs[0]), repeats, repeatsValue));
                return;
            }

            case "Split":
                LowerSplit(c, node);
                return;
            case "DepthToSpace":
            {
                var crd = node.GetString("mode", "DCR") switch
                {
                    "DCR" => false,
                    "CRD" => true,
                    var other => throw new UnsupportedNodeException($"mode '{other}'"),
                };
                var x = c.Read(node.Inputs[0]);
                c.Emit(new DepthToSpaceOp(x, c.Write(node.Outputs[0]), BlockSize(node), crd));
                return;
            }

            default:
            {
                var x = c.Read(node.Inputs[0]);
                c.Emit(new SpaceToDepthOp(x, c.Write(node.Outputs[0]), BlockSize(node)));
                return;
            }
        }
    }

    private static int BlockSize(Node node) =>
        node.GetInt("blocksize", 0) is var b && b is >= 1 and <= 4096 ? (int)b : throw new UnsupportedNodeException($"blocksize {b}");

    private static void LowerSplit(LoweringContext c, Node node)
    {
        if (node.Outputs.Any(o => o.Length == 0))
        {
            throw new UnsupportedNodeException("an unnamed output");
        }

        var axis = checked((int)node.GetInt("axis", 0));
        var x = c.Read(node.Inputs[0]);
        long[] sizes = [];
        var sizesValue = -1;
        if (c.Opset < 13)
        {
            sizes = node.GetInts("split") ?? [];
            if (node.InputOrNull(1) is not null)
            {
                (sizes, sizesValue) = PadLowering.Operand(c, node, 1); // opset 1's split input
            }
        }
        else
        {
            (sizes, sizesValue) = PadLowering.Operand(c, node, 1);
        }

        var numOutputs = node.GetInt("num_outputs", node.Outputs.Count);
        if (numOutputs != node.Outputs.Count)
        {
            throw new UnsupportedNodeException($"num_outputs {numOutputs} differs from the {node.Outputs.Count} outputs");
        }

        var outputs = node.Outputs.Select(c.Write).ToArray();
        c.Emit(new SplitOp(x, outputs, axis, sizes, sizesValue));
    }
}
