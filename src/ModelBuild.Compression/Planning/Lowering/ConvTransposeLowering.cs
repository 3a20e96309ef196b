using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX ConvTranspose (1-D to 3-D, constant weights and bias) → <see cref="ConvTransposeOp"/>. The weights
/// <c>[C, OC/group, k…]</c> are repacked here into the GEMM's <c>(group, oc, taps) × (C/group)</c> matrix.
/// </summary>
internal sealed class ConvTransposeLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["ConvTranspose"];

    public void Lower(LoweringContext c, Node node)
    {
        var w = c.Constant(node.InputOrNull(1) ?? "") ?? throw new UnsupportedNodeException("the weight W is not a constant");
        c.RequireFloat(w);
        int rank = w.Dims.Length - 2;
        if (rank is < 1 or > 3)
        {
            throw new UnsupportedNodeException($"{rank} spatial axes (1 to 3 are supported)");
        }

        var dims = w.Dims.Select(d => checked((int)d)).ToArray();
        var group = checked((int)node.GetInt("group", 1));
        var kernel = Window.Ints(node, "kernel_shape", dims[2..]);
        if (!kernel.SequenceEqual(dims[2..]) || group < 1 || dims[0] % group != 0)
        {
            throw new UnsupportedNodeException($"kernel_shape/group do not match the weight [{string.Join(", ", dims)}]");
        }

        var ones = Enumerable.Repeat(1, rank).ToArray();
        var outputShape = node.GetInts("output_shape")?.Select(v => checked((int)v)).ToArray() ?? [];
        if (outputShape.Length == rank + 2)
        {
            outputShape = outputShape[2..]; // some exporters give the whole [N, C, spatial…] shape
        }

        var weight = c.Weights.AddFloats(w.Name + "#ct", w.Name, Repack(w.ToFloats(), dims, group), [dims[1] * group * kernel.Aggregate(1, (a, b) => a * b), dims[0] / group]);
        var bias = node.InputOrNull(2) is { } b
            ? c.Floats(b + "#v", b, (c.Constant(b) ?? throw new UnsupportedNodeException("the bias B is not a constant")).ToFloats())
            : -1;
        var x = c.Read(node.Inputs[0]);
        var y = c.Write(node.Outputs[0]);
        c.Emit(new ConvTransposeOp(x, y, weight, bias, kernel, Window.Ints(node, "strides", ones), Window.Ints(node, "dilations", ones),
            Window.Ints(node, "pads", new int[2 * rank]), Window.Ints(node, "output_padding", new int[rank]), outputShape, Window.AutoPad(node), group));
    }

    /// <summary><c>W[g·cg + ci, oc, t]</c> → row <c>(g·ocg + oc)·taps + t</c>, column <c>ci</c>.</summary>
    internal static float[] Repack(float[] w, int[] dims, int group)
    {
        int cg = dims[0] / group, ocg = dims[1], taps = dims.Skip(2).Aggregate(1, (a, b) => a * b);
        var result = new float[w.Length];
        for (int g = 0; g < group; g++)
        {
            for (int ci = 0; ci < cg; ci++)
            {
                for (int oc = 0; oc < ocg; oc++)
                {
                    for (int t = 0; t < taps; t++)
                    {
                        result[((((g * ocg) + oc) * taps) + t) * cg + ci] = w[((((g * cg) + ci) * ocg) + oc) * taps + t];
                    }
                }
            }
        }

        return result;
    }
}
