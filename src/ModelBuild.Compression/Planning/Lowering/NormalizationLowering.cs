using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX LayerNormalization → <see cref="LayerNormOp"/>, InstanceNormalization → <see cref="InstanceNormOp"/>,
/// GroupNormalization → <see cref="GroupNormOp"/> (opset 18: scale and bias per group; 21: per channel),
/// LpNormalization → <see cref="LpNormOp"/>, MeanVarianceNormalization → <see cref="MeanVarianceNormOp"/>,
/// LRN → <see cref="LrnOp"/>. Attribute defaults are the ONNX spec's.
/// </summary>
internal sealed class NormalizationLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } =
        ["LayerNormalization", "InstanceNormalization", "GroupNormalization", "LpNormalization", "MeanVarianceNormalization", "LRN"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("the input is not a float tensor");
        }

        switch (node.OpType)
        {
            case "LayerNormalization":
                LayerNorm(c, node);
                break;
            case "InstanceNormalization":
            {
                var epsilon = node.GetFloat("epsilon", 1e-5f);
                int x = c.Read(node.Inputs[0]), scale = c.Read(node.Inputs[1]), bias = c.Read(node.Inputs[2]);
                c.Emit(new InstanceNormOp(x, scale, bias, c.Write(node.Outputs[0]), epsilon));
                break;
            }

            case "GroupNormalization":
                GroupNorm(c, node);
                break;
            case "LpNormalization":
            {
                var p = node.GetInt("p", 2);
                if (p is not (1 or 2))
                {
                    throw new UnsupportedNodeException($"p = {p} (ONNX defines only 1 and 2)");
                }

                var x = c.Read(node.Inputs[0]);
                c.Emit(new LpNormOp(x, c.Write(node.Outputs[0]), checked((int)node.GetInt("axis", -1)), (int)p));
                break;
            }

            case "MeanVarianceNormalization":
            {
                var axes = node.GetInts("axes") ?? [0, 2, 3];
                var x = c.Read(node.Inputs[0]);
                c.Emit(new MeanVarianceNormOp(x, c.Write(node.Outputs[0]), axes.Select(a => checked((int)a)).ToArray()));
                break;
            }

            default:
            {
                var size = node.GetInt("size", 0);
                if (size <= 0)
                {
                    throw new UnsupportedNodeException($"size = {size} (must be positive)");
                }

                var x = c.Read(node.Inputs[0]);
                c.Emit(new LrnOp(x, c.Write(node.Outputs[0]), checked((int)size), node.GetFloat("alpha", 1e-4f),
                    node.GetFloat("beta", 0.75f), node.GetFloat("bias", 1f)));
                break;
            }
        }
    }

    private static void LayerNorm(LoweringContext c, Node node)
    {
        var stash = node.GetInt("stash_type", 1);
        if (stash != 1)
        {
            throw new UnsupportedNodeException($"stash_type = {stash} (the runtime computes the statistics in float32 only)");
        }

        var x = c.Read(node.Inputs[0]);
        var scale = c.Read(node.Inputs[1]);
        var bias = node.InputOrNull(2) is { } b ? c.Read(b) : -1;
        var y = c.Write(node.Outputs[0]);
        var mean = node.Outputs.Count > 1 && node.Outputs[1].Length > 0 ? c.Write(node.Outputs[1]) : -1;
        var inv = node.Outputs.Count > 2 && node.Outputs[2].Length > 0 ? c.Write(node.Outputs[2]) : -1;
        c.Emit(new LayerNormOp(x, scale, bias, y, mean, inv, checked((int)node.GetInt("axis", -1)), node.GetFloat("epsilon", 1e-5f)));
    }

    private static void GroupNorm(LoweringContext c, Node node)
    {
        var groups = node.GetInt("num_groups", 0);
        if (groups <= 0)
        {
            throw new UnsupportedNodeException($"num_groups = {groups} (must be positive)");
        }

        var stash = node.GetInt("stash_type", 1);
        if (stash != 1)
        {
            throw new UnsupportedNodeException($"stash_type = {stash} (the runtime computes the statistics in float32 only)");
        }

        int x = c.Read(node.Inputs[0]), scale = c.Read(node.Inputs[1]), bias = c.Read(node.Inputs[2]);
        c.Emit(new GroupNormOp(x, scale, bias, c.Write(node.Outputs[0]), checked((int)groups), node.GetFloat("epsilon", 1e-5f), PerChannel: c.Opset >= 21));
    }
}
