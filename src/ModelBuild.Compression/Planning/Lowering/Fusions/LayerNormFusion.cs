using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// The decomposed layer norm PyTorch and paddle2onnx export, over trailing axes A:
/// <code>
/// m = ReduceMean(x, A)   d = Sub(x, m)   v = ReduceMean(Pow(d, 2) | Mul(d, d), A)
/// n = Div(d, Sqrt(Add(v, ε)))   [Mul(n, γ)]   [Add(·, β)]
/// </code>
/// → one <see cref="LayerNormOp"/>. Only when every intermediate is read by the chain alone (not a graph output),
/// both ReduceMeans keep dims over the same trailing axes, ε is a constant scalar and the exponent a constant 2;
/// γ and β are folded in only when they are float constants that broadcast over the normalised axes alone
/// (otherwise the chain stops at the Div and they stay ordinary Mul/Add ops).
/// </summary>
internal sealed class LayerNormFusion : IPatternFusion
{
    public string FirstOp => "ReduceMean";

    public FusedChain? Match(LoweringContext c, Node mean)
    {
        var g = c.Graph;
        var x = mean.Inputs[0];
        if (TrailingAxis(c, mean, x) is not { } axis
            || FusionQueries.SoleConsumer(g, mean) is not { OpType: "Sub" } sub || sub.Inputs[0] != x || sub.Inputs[1] != mean.Outputs[0])
        {
            return null;
        }

        var d = sub.Outputs[0];
        var readers = g.Consumers(d).Distinct().ToList();
        if (g.IsGraphOutput(d) || readers.Count != 2)
        {
            return null;
        }

        var square = readers.Find(n => IsSquareOf(c, n, d));
        var div = readers.Find(n => n.OpType == "Div" && n.Inputs[0] == d && n.Inputs.Count == 2);
        if (square is null || div is null || FusionQueries.SoleConsumer(g, square) is not { OpType: "ReduceMean" } variance
            || variance.Inputs[0] != square.Outputs[0] || TrailingAxis(c, variance, square.Outputs[0]) != axis
            || FusionQueries.SoleConsumer(g, variance) is not { OpType: "Add" } addEps
            || ScalarOperand(c, addEps, variance.Outputs[0]) is not { } epsilon
            || FusionQueries.SoleConsumer(g, addEps) is not { OpType: "Sqrt" } sqrt
            || FusionQueries.SoleConsumer(g, sqrt) != div || div.Inputs[1] != sqrt.Outputs[0])
        {
            return null;
        }

        var members = new List<Node> { mean, sub, square, variance, addEps, sqrt, div };
        string? gamma = null, beta = null;
        if (FusionQueries.SoleConsumer(g, div) is { OpType: "Mul" } mul && Parameter(c, mul, div.Outputs[0], x, axis) is { } scale)
        {
            members.Add(mul);
            gamma = scale;
        }

        if (FusionQueries.SoleConsumer(g, members[^1]) is { OpType: "Add" } add && Parameter(c, add, members[^1].Outputs[0], x, axis) is { } shift)
        {
            members.Add(add);
            beta = shift;
        }

        // A known non-float x is left to the node-by-node lowering; an unknown one (fed by a refused node) is checked
        // when the chain is lowered, inside the planner's error handling.
        if (members.Any(n => !n.IsDefaultDomain) || c.Graph.GetValueInfo(x)?.ElementType is { } type && !IsFloat(type))
        {
            return null;
        }

        return new FusedChain(members[^1], members, new Lowering(x, gamma, beta, axis, epsilon));
    }

    private static bool IsFloat(DataType type) => type is DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double;

    private static bool IsSquareOf(LoweringContext c, Node n, string d) => n.Inputs.Count == 2 && n.Inputs[0] == d && n.OpType switch
    {
        "Mul" => n.Inputs[1] == d,
        "Pow" => c.Constant(n.Inputs[1]) is { ElementCount: 1 } e && (IsFloat(e.DataType) || e.DataType is DataType.Int64 or DataType.Int32)
            && e.ToDoubles()[0] == 2,
        _ => false,
    };

    /// <summary>ε of <c>Add(v, ε)</c> or <c>Add(ε, v)</c>: a float constant holding one value.</summary>
    private static float? ScalarOperand(LoweringContext c, Node add, string v)
    {
        if (add.Inputs.Count != 2 || !add.Inputs.Contains(v))
        {
            return null;
        }

        var other = add.Inputs[0] == v ? add.Inputs[1] : add.Inputs[0];
        return c.Constant(other) is { ElementCount: 1 } t && IsFloat(t.DataType) ? t.ToFloats()[0] : null;
    }

    /// <summary>
    /// γ of <c>Mul(n, γ)</c> / β of <c>Add(n, β)</c> (either order): a float constant whose dims, leading 1s dropped,
    /// cover only the normalised axes (and equal x's trailing dims where those are known).
    /// </summary>
    private static string? Parameter(LoweringContext c, Node node, string n, string x, int axis)
    {
        if (node.Inputs.Count != 2 || !node.Inputs.Contains(n) || node.Inputs[0] == node.Inputs[1])
        {
            return null;
        }

        var name = node.Inputs[0] == n ? node.Inputs[1] : node.Inputs[0];
        if (c.Constant(name) is not { } t || !IsFloat(t.DataType))
        {
            return null;
        }

        var dims = t.Dims.SkipWhile(d => d == 1).ToArray();
        if (dims.Length > -axis)
        {
            return null;
        }

        if (c.ShapeOf(x) is { } xs)
        {
            for (var i = 1; i <= dims.Length; i++)
            {
                if (xs[xs.Rank - i].Value is { } known && known != dims[^i])
                {
                    return null;
                }
            }
        }

        return name;
    }

    /// <summary>
    /// The first normalised axis, counted from the end (−k), when a keepdims ReduceMean of <paramref name="input"/>
    /// averages exactly its last k axes; null otherwise.
    /// </summary>
    private static int? TrailingAxis(LoweringContext c, Node reduce, string input)
    {
        if (reduce.GetInt("keepdims", 1) != 1 || reduce.Outputs.Count != 1)
        {
            return null;
        }

        var axes = reduce.GetInts("axes") ?? c.ConstantInts(reduce, 1);
        if (axes is null || axes.Length == 0)
        {
            return null; // all axes, or noop_with_empty_axes: not what exporters emit for a layer norm
        }

        var rank = c.ShapeOf(input)?.Rank;
        var normalized = new List<long>();
        foreach (var axis in axes)
        {
            if (axis >= 0 && rank is null)
            {
                return null;
            }

            normalized.Add(axis >= 0 ? axis - rank!.Value : axis);
        }

        normalized.Sort();
        var k = normalized.Count;
        for (var i = 0; i < k; i++)
        {
            if (normalized[i] != i - k)
            {
                return null;
            }
        }

        return rank is { } r && k > r ? null : -k;
    }

    /// <summary>Lowers a matched chain at its anchor: reads x (and γ, β), writes the anchor's output.</summary>
    private sealed class Lowering(string x, string? gamma, string? beta, int axis, float epsilon) : INodeLowering
    {
        public IReadOnlyList<string> OpTypes => [];

        public void Lower(LoweringContext c, Node node)
        {
            if (!c.IsPlaceholder(x) && c.TensorTypeOf(x) != TensorType.Float32)
            {
                throw new UnsupportedNodeException("the normalised input is not a float tensor");
            }

            var xv = c.Read(x);
            var scale = gamma is null ? -1 : c.Read(gamma);
            var bias = beta is null ? -1 : c.Read(beta);
            c.Emit(new LayerNormOp(xv, scale, bias, c.Write(node.Outputs[0]), -1, -1, axis, epsilon));
        }
    }
}
