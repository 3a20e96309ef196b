using ModelBuild.Graph;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// A residual block's tail (BlazeFace, ResNet-style blocks):
/// <code>
/// y = Conv(x)   s = Add(y, r) | Add(r, y)   [Relu(s)]
/// </code>
/// with r either of y's shape, or <c>Concat(v, zeros)</c> along channels (a residual padded with zero channels; the
/// Concat is then not run at all) → one <see cref="Runtime.Ops.ConvOp"/> with <c>Residual</c> = r (or v) and the Relu as
/// its activation, so the conv's outputs get the residual and the Relu while still in registers instead of two more
/// passes over the tensor (three with the Concat). Values are those of the chain bit for bit (same additions in the
/// same order), except that a padded channel whose conv output is −0 keeps −0 where the chain's +0 padding gives +0.
/// Applies only when the shapes prove there is no broadcasting: y, r (or v's batch and spatial dims) and
/// the sum have equal known or symbolic dims, 2-D convs; the conv's output, the sum and the Concat must have no other
/// reader and not be graph outputs.
/// </summary>
internal sealed class ConvResidualFusion : IPatternFusion
{
    public string FirstOp => "Conv";

    public FusedChain? Match(LoweringContext c, Node conv)
    {
        var g = c.Graph;
        if (conv.Inputs.Count < 2 || c.Constant(conv.Inputs[1]) is not { Dims.Length: 4 }
            || g.GetValueInfo(conv.Outputs[0])?.ElementType != DataType.Float
            || FusionQueries.SoleConsumer(g, conv) is not { OpType: "Add" } add || !add.IsDefaultDomain
            || FusionQueries.OtherOperand(add, v => v == conv.Outputs[0]) is not { } r
            || c.ShapeOf(conv.Outputs[0]) is not { Rank: 4 } ys || !Same(ys, c.ShapeOf(add.Outputs[0])))
        {
            return null;
        }

        var members = new List<Node> { conv, add };
        string residual = r;
        if (!Same(ys, c.ShapeOf(r)))
        {
            return null;
        }

        if (ZeroPaddedChannels(c, r) is { } padded)
        {
            members.Add(padded.Concat);
            residual = padded.Value;
        }

        var last = add;
        if (FusionQueries.SoleConsumer(g, add) is { OpType: "Relu" } relu && relu.IsDefaultDomain)
        {
            members.Add(relu);
            last = relu;
        }

        return new FusedChain(last, members, new Lowering(conv, residual, last.OpType == "Relu" ? Activation.Relu : Activation.None));
    }

    /// <summary>
    /// <paramref name="r"/> = <c>Concat(v, zeros)</c> on axis 1, read only by the Add, zeros a float constant, v with
    /// known channels and r's batch and spatial dims: then v is the residual of the first channels.
    /// </summary>
    private static (Node Concat, string Value)? ZeroPaddedChannels(LoweringContext c, string r)
    {
        if (c.Graph.Nodes.FirstOrDefault(n => n.Outputs.Contains(r)) is not { OpType: "Concat" } concat || !concat.IsDefaultDomain
            || concat.Inputs.Count != 2 || concat.GetInt("axis", 0) is not (1 or -3)
            || FusionQueries.SoleConsumer(c.Graph, concat) is null
            || c.Constant(concat.Inputs[1]) is not { DataType: DataType.Float } zeros || zeros.ToFloats().Any(z => z != 0f)
            || c.Constant(concat.Inputs[0]) is not null
            || c.ShapeOf(concat.Inputs[0]) is not { Rank: 4 } vs || c.ShapeOf(r) is not { } rs
            || !vs[1].IsKnown || !SameDim(vs[0], rs[0]) || !SameDim(vs[2], rs[2]) || !SameDim(vs[3], rs[3]))
        {
            return null;
        }

        return (concat, concat.Inputs[0]);
    }

    /// <summary>Equal ranks and dims, every dim a number or a symbol (an unknown dim proves nothing).</summary>
    private static bool Same(TensorShape a, TensorShape? b) =>
        b is not null && a.Rank == b.Rank && Enumerable.Range(0, a.Rank).All(i => SameDim(a[i], b[i]));

    private static bool SameDim(Dim a, Dim b) => a == b && (a.IsKnown || a.Symbol is not null);

    /// <summary>Lowers the chain at its last node: the conv's op, writing the last node's output.</summary>
    private sealed class Lowering(Node conv, string residual, Activation act) : INodeLowering
    {
        public IReadOnlyList<string> OpTypes => [];

        public void Lower(LoweringContext c, Node node)
        {
            // The op is the conv's (its name in profiles and errors), although it runs where the chain ends.
            var anchor = c.Current;
            c.Current = conv;
            try
            {
                ConvLowering.Emit(c, conv, residual, () => (node.Outputs[0], act));
            }
            finally
            {
                c.Current = anchor;
            }
        }
    }
}
