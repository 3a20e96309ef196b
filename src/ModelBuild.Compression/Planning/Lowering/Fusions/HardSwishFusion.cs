using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// The decomposed hard swish exporters emit for opsets before 14 (paddle2onnx's PP-LCNet, PyTorch's
/// <c>x * F.relu6(x + 3) / 6</c>):
/// <code>
/// t = Add(x, 3)   c = Clip(t, 0, 6)   m = Mul(x, c)   y = Div(m, 6) | Mul(m, 1/6)
/// </code>
/// → one <see cref="UnaryOp"/> with <see cref="UnaryFunction.HardSwish"/>, <c>x · max(0, min(1, x/6 + 1/2))</c>
/// (ONNX HardSwish), which equals the chain up to float rounding. Operands may come in either order; every
/// intermediate must be read by the chain alone and not be a graph output, and x must be a float tensor.
/// Five element-wise passes over the tensor become one.
/// </summary>
internal sealed class HardSwishFusion : IPatternFusion
{
    public string FirstOp => "Add";

    public FusedChain? Match(LoweringContext c, Node add)
    {
        var g = c.Graph;
        if (FusionQueries.OtherOperand(add, v => FusionQueries.ScalarConstant(c, v) == 3f) is not { } x
            || FusionQueries.SoleConsumer(g, add) is not { OpType: "Clip" } clip || clip.Inputs[0] != add.Outputs[0]
            || !IsRelu6(c, clip)
            || FusionQueries.SoleConsumer(g, clip) is not { OpType: "Mul" } mul || mul.Inputs.Count != 2
            || !(mul.Inputs[0] == x && mul.Inputs[1] == clip.Outputs[0] || mul.Inputs[1] == x && mul.Inputs[0] == clip.Outputs[0])
            || FusionQueries.SoleConsumer(g, mul) is not { } last || !DividesBySix(c, last, mul.Outputs[0]))
        {
            return null;
        }

        Node[] members = [add, clip, mul, last];
        if (members.Any(n => !n.IsDefaultDomain) || g.GetValueInfo(x)?.ElementType is { } type && type != DataType.Float)
        {
            return null;
        }

        // A learnable affine block after it (PP-LCNetV3) joins the chain.
        if (AffineTail.After(c, last) is { } tail)
        {
            return new FusedChain(tail.Add, [.. members, tail.Mul, tail.Add], new Lowering(x, UnaryFunction.HardSwish, tail.Scale, tail.Shift));
        }

        return new FusedChain(last, members, new Lowering(x, UnaryFunction.HardSwish, 1f, 0f));
    }

    /// <summary>Clip to [0, 6]: bounds as inputs (opset 11+) or attributes (before), constant.</summary>
    private static bool IsRelu6(LoweringContext c, Node clip)
    {
        if (c.Opset < 11)
        {
            return clip.GetFloat("min", float.NegativeInfinity) == 0f && clip.GetFloat("max", float.PositiveInfinity) == 6f;
        }

        return clip.Inputs.Count == 3 && FusionQueries.ScalarConstant(c, clip.Inputs[1]) == 0f
            && FusionQueries.ScalarConstant(c, clip.Inputs[2]) == 6f;
    }

    /// <summary><c>Div(m, 6)</c>, or <c>Mul(m, k)</c> / <c>Mul(k, m)</c> with k the float32 nearest 1/6.</summary>
    private static bool DividesBySix(LoweringContext c, Node node, string m) => node.OpType switch
    {
        "Div" => node.Inputs.Count == 2 && node.Inputs[0] == m && node.Inputs[1] != m && FusionQueries.ScalarConstant(c, node.Inputs[1]) == 6f,
        "Mul" => FusionQueries.OtherOperand(node, v => v == m) is { } k && k != m && FusionQueries.ScalarConstant(c, k) == 1f / 6f,
        _ => false,
    };

    /// <summary>Lowers a matched chain at its anchor: reads x, writes the anchor's output (with the affine tail's scale and shift, if any).</summary>
    internal sealed class Lowering(string x, UnaryFunction function, float scale, float shift) : INodeLowering
    {
        public IReadOnlyList<string> OpTypes => [];

        public void Lower(LoweringContext c, Node node)
        {
            if (!c.IsPlaceholder(x) && c.TensorTypeOf(x) != TensorType.Float32)
            {
                throw new UnsupportedNodeException($"the {function} input is not a float tensor");
            }

            var xv = c.Read(x);
            c.Emit(new UnaryOp(xv, c.Write(node.Outputs[0]), function, 0f, 0f, scale, shift));
        }
    }
}
