using static ModelBuild.Conformance.Tests.RandomGraphs.RandomGraphGenerator;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>
/// The operators the random graphs draw from, one method each: it picks operands from the pool, checks the operator
/// is valid for them (else adds nothing and the generator draws again) and adds the node with its output's dims.
/// Element-wise, layout and reduction operators here; MatMul, Gemm, Conv and pooling in RandomOp.Linear.cs.
/// </summary>
internal static partial class RandomOp
{
    private static readonly (Action<RandomGraphGenerator> Emit, int Weight)[] s_ops =
    [
        (Unary, 3), (Binary, 5), (MatMulRight, 3), (MatMulLeft, 1), (MatMulSelf, 1), (Gemm, 4), (Transpose, 2),
        (Softmax, 1), (Reduce, 2), (Flatten, 1), (Reshape, 2), (Concat, 2), (Slice, 1), (Unsqueeze, 1), (Squeeze, 1),
        (Conv, 2), (Pool, 1), (BatchNorm, 1), (LayerNorm, 1),
    ];

    private static readonly string[] s_unary =
        ["Relu", "Sigmoid", "Tanh", "Abs", "Neg", "LeakyRelu", "Elu", "Softsign", "HardSigmoid", "Clip", "Erf", "Softplus", "Identity"];

    /// <summary>Tries one random operator (it may add nothing when the operands it drew do not fit).</summary>
    public static void Emit(RandomGraphGenerator g)
    {
        var pick = g.Rng.Next(s_ops.Sum(o => o.Weight));
        foreach (var (emit, weight) in s_ops)
        {
            if ((pick -= weight) < 0)
            {
                emit(g);
                return;
            }
        }
    }

    private static void Unary(RandomGraphGenerator g)
    {
        var v = g.Pick();
        var op = g.Choose(s_unary);
        switch (op)
        {
            case "LeakyRelu":
            case "Elu":
                g.Add(op, [v.Name], v.Dims, v.BatchAxis, "", Float("alpha", g.Choose(0.1f, 0.5f, 1.3f)));
                break;
            case "HardSigmoid":
                g.Add(op, [v.Name], v.Dims, v.BatchAxis, "", Float("alpha", 0.3f), Float("beta", 0.4f));
                break;
            case "Clip":
                // Opset 13: min and max are optional scalar inputs; either may be left out (min below max).
                var min = g.Rng.Next(3) == 0 ? "" : g.Scalar(-0.1f - (0.7f * (float)g.Rng.NextDouble()));
                var max = g.Rng.Next(3) == 0 ? "" : g.Scalar(0.1f + (0.7f * (float)g.Rng.NextDouble()));
                g.Add(op, max.Length == 0 ? [v.Name, min] : [v.Name, min, max], v.Dims, v.BatchAxis, $"min {(min.Length > 0 ? "yes" : "no")}, max {(max.Length > 0 ? "yes" : "no")}");
                break;
            default:
                g.Add(op, [v.Name], v.Dims, v.BatchAxis, "");
                break;
        }
    }

    /// <summary>Add … Div between two activations (or one with itself) or an activation and a constant on either side.</summary>
    private static void Binary(RandomGraphGenerator g)
    {
        var a = g.Pick();
        var op = g.Choose("Add", "Sub", "Mul", "Max", "Min", "Div");
        var mode = g.Rng.Next(3);
        if (op == "Div" || mode == 2)
        {
            // A constant operand broadcast by shape: a suffix of a's dims, each kept or 1, maybe one leading dim more.
            var rank = g.Rng.Next(a.Rank + 2);
            var dims = new int[rank];
            for (var i = 0; i < rank; i++)
            {
                var axis = a.Rank - rank + i;
                dims[i] = axis < 0 ? 1 + g.Rng.Next(2) : axis == a.BatchAxis || g.Rng.Next(3) == 0 ? 1 : a.Dims[axis];
            }

            // Divisors stay away from zero; a constant on the left of Div would divide by the activation.
            var c = op == "Div" ? g.Constant(dims, positive: true) : g.Constant(dims);
            var left = op != "Div" && g.Rng.Next(2) == 0;
            var (outDims, batch) = Broadcasting.Shape(a.Dims, a.BatchAxis, dims, -1)!.Value;
            g.Add(op, left ? [c, a.Name] : [a.Name, c], outDims, batch, $"{(left ? "const, act" : "act, const")} [{string.Join(",", dims)}]");
            return;
        }

        var b = mode == 0 ? a : g.Pick();
        if (Broadcasting.Shape(a.Dims, a.BatchAxis, b.Dims, b.BatchAxis) is not { } shape)
        {
            return;
        }

        g.Add(op, [a.Name, b.Name], shape.Dims, shape.BatchAxis, a == b ? "same value twice" : "two activations");
    }

    private static void Transpose(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank < 2)
        {
            return;
        }

        var perm = Enumerable.Range(0, v.Rank).OrderBy(_ => g.Rng.Next()).ToArray();
        var useDefault = v.Rank == 2 && g.Rng.Next(2) == 0; // no perm attribute: reverse the axes
        if (useDefault)
        {
            perm = [1, 0];
        }

        var attributes = useDefault ? Array.Empty<Onnx.Proto.AttributeProto>() : [Ints("perm", perm.Select(p => (long)p).ToArray())];
        g.Add("Transpose", [v.Name], perm.Select(p => v.Dims[p]).ToArray(), Array.IndexOf(perm, v.BatchAxis), string.Join(",", perm), attributes);
    }

    private static void Softmax(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank == 0)
        {
            return;
        }

        var axis = g.Rng.Next(-v.Rank, v.Rank);
        g.Add(g.Choose("Softmax", "LogSoftmax"), [v.Name], v.Dims, v.BatchAxis, $"axis {axis}", Int("axis", axis));
    }

    private static void Reduce(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank == 0)
        {
            return;
        }

        var axes = Enumerable.Range(0, v.Rank).Where(_ => g.Rng.Next(2) == 0).ToArray();
        if (axes.Length == 0)
        {
            axes = [g.Rng.Next(v.Rank)];
        }

        var keep = g.Rng.Next(2);
        var dims = new List<int>();
        var batch = -1;
        for (var i = 0; i < v.Rank; i++)
        {
            if (!axes.Contains(i))
            {
                batch = i == v.BatchAxis ? dims.Count : batch;
                dims.Add(v.Dims[i]);
            }
            else if (keep == 1)
            {
                dims.Add(1);
            }
        }

        var op = g.Choose("ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2");
        var detail = $"axes {string.Join(",", axes)}, keepdims {keep}";
        long[] signed = [.. axes.Select(a => g.Rng.Next(2) == 0 ? a : (long)(a - v.Rank))];
        if (op == "ReduceSum")
        {
            g.Add(op, [v.Name, g.Int64s(signed)], [.. dims], batch, detail, Int("keepdims", keep)); // axes are an input from opset 13
        }
        else
        {
            g.Add(op, [v.Name], [.. dims], batch, detail, Ints("axes", signed), Int("keepdims", keep));
        }
    }

    private static void Flatten(RandomGraphGenerator g)
    {
        var v = g.Pick();
        var axis = g.Rng.Next(v.Rank + 1);
        if (v.BatchAxis >= 0 && !(v.BatchAxis == 0 && axis == 1))
        {
            return; // the batch would be multiplied into another dim
        }

        var outer = v.Dims.Take(axis).Aggregate(1, (p, d) => p * d);
        var inner = v.Dims.Skip(axis).Aggregate(1, (p, d) => p * d);
        g.Add("Flatten", [v.Name], [outer, inner], v.BatchAxis, $"axis {axis}", Int("axis", axis));
    }

    /// <summary>[0, -1] (keep dim 0, flatten the rest) or one dim split in two factors; 0 or -1 stands for the batch dim.</summary>
    private static void Reshape(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank >= 2 && v.BatchAxis <= 0 && g.Rng.Next(2) == 0)
        {
            g.Add("Reshape", [v.Name, g.Int64s(0, -1)], [v.Dims[0], v.Dims.Skip(1).Aggregate(1, (p, d) => p * d)], v.BatchAxis, "0,-1");
            return;
        }

        var axis = g.Rng.Next(Math.Max(1, v.Rank));
        if (v.Rank == 0 || axis == v.BatchAxis || Factor(v.Dims[axis], g.Rng) is not { } f)
        {
            return;
        }

        var dims = v.Dims.Take(axis).Append(f).Append(v.Dims[axis] / f).Concat(v.Dims.Skip(axis + 1)).ToArray();
        var shape = dims.Select((d, i) => (long)d).ToArray();
        var minusOne = g.Rng.Next(dims.Length);
        var batch = v.BatchAxis < 0 ? -1 : v.BatchAxis < axis ? v.BatchAxis : v.BatchAxis + 1;
        if (batch >= 0 && batch < axis)
        {
            shape[batch] = 0; // copy the input's (symbolic) dim at the same index: it did not move
            minusOne = minusOne == batch ? -1 : minusOne;
        }
        else if (batch >= 0)
        {
            minusOne = batch; // it moved one place on: 0 would copy another dim, so let -1 infer it
        }

        if (minusOne >= 0)
        {
            shape[minusOne] = -1;
        }

        g.Add("Reshape", [v.Name, g.Int64s(shape)], dims, batch, string.Join(",", shape));
    }

    private static int? Factor(int d, Random rng)
    {
        var factors = Enumerable.Range(2, Math.Max(0, d - 2)).Where(f => d % f == 0).ToArray();
        return factors.Length == 0 ? null : factors[rng.Next(factors.Length)];
    }

    private static void Concat(RandomGraphGenerator g)
    {
        var a = g.Pick();
        if (a.Rank == 0)
        {
            return;
        }

        var axis = g.Rng.Next(a.Rank);
        if (axis == a.BatchAxis)
        {
            return;
        }

        string other;
        int extra;
        if (a.BatchAxis < 0 && g.Rng.Next(3) == 0)
        {
            extra = 1 + g.Rng.Next(3);
            other = g.Constant(a.Dims.Select((d, i) => i == axis ? extra : d).ToArray());
        }
        else if (g.Pool.FirstOrDefault(b => b != a && b.Rank == a.Rank && b.BatchAxis == a.BatchAxis
                     && b.Dims.Where((d, i) => i != axis).SequenceEqual(a.Dims.Where((d, i) => i != axis))) is { } b && g.Rng.Next(2) == 0)
        {
            (other, extra) = (b.Name, b.Dims[axis]);
        }
        else
        {
            (other, extra) = (a.Name, a.Dims[axis]);
        }

        var first = g.Rng.Next(2) == 0;
        g.Add("Concat", first ? [a.Name, other] : [other, a.Name], a.Dims.Select((d, i) => i == axis ? d + extra : d).ToArray(), a.BatchAxis,
            $"axis {axis}", Int("axis", g.Rng.Next(2) == 0 ? axis : axis - a.Rank));
    }

    private static void Slice(RandomGraphGenerator g)
    {
        var v = g.Pick();
        var axes = Enumerable.Range(0, v.Rank).Where(i => i != v.BatchAxis && v.Dims[i] >= 2).ToArray();
        if (axes.Length == 0)
        {
            return;
        }

        var axis = axes[g.Rng.Next(axes.Length)];
        var d = v.Dims[axis];
        var start = g.Rng.Next(d - 1);
        var end = start + 1 + g.Rng.Next(d - start);
        var step = g.Rng.Next(3) == 0 ? 2 : 1;
        var count = ((end - start) + step - 1) / step;
        g.Add("Slice", [v.Name, g.Int64s(start), g.Int64s(g.Rng.Next(4) == 0 && end == d ? long.MaxValue : end), g.Int64s(axis), g.Int64s(step)],
            v.Dims.Select((x, i) => i == axis ? count : x).ToArray(), v.BatchAxis, $"axis {axis}, {start}:{end}:{step}");
    }

    private static void Unsqueeze(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank >= 5)
        {
            return;
        }

        var at = g.Rng.Next(v.Rank + 1);
        g.Add("Unsqueeze", [v.Name, g.Int64s(at)], v.Dims.Take(at).Append(1).Concat(v.Dims.Skip(at)).ToArray(),
            v.BatchAxis < 0 ? -1 : v.BatchAxis >= at ? v.BatchAxis + 1 : v.BatchAxis, $"axis {at}");
    }

    private static void Squeeze(RandomGraphGenerator g)
    {
        var v = g.Pick();
        var ones = Enumerable.Range(0, v.Rank).Where(i => v.Dims[i] == 1 && i != v.BatchAxis).ToArray();
        if (ones.Length == 0)
        {
            return;
        }

        var axis = ones[g.Rng.Next(ones.Length)];
        g.Add("Squeeze", [v.Name, g.Int64s(axis)], v.Dims.Where((_, i) => i != axis).ToArray(),
            v.BatchAxis > axis ? v.BatchAxis - 1 : v.BatchAxis, $"axis {axis}");
    }

    private static void BatchNorm(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank < 2 || v.BatchAxis == 1)
        {
            return;
        }

        int[] c = [v.Dims[1]];
        g.Add("BatchNormalization", [v.Name, g.Constant(c), g.Constant(c), g.Constant(c, 0.5f), g.Constant(c, positive: true)], v.Dims, v.BatchAxis,
            "", Float("epsilon", 1e-3f));
    }

    private static void LayerNorm(RandomGraphGenerator g)
    {
        var v = g.Pick();
        var first = v.BatchAxis + 1; // scale and bias hold the normalised dims: the symbolic batch cannot be one
        if (first >= v.Rank)
        {
            return;
        }

        var axis = first + g.Rng.Next(v.Rank - first);
        var tail = v.Dims.Skip(axis).ToArray();
        var withBias = g.Rng.Next(2) == 0;
        g.Add("LayerNormalization", withBias ? [v.Name, g.Constant(tail), g.Constant(tail)] : [v.Name, g.Constant(tail)], v.Dims, v.BatchAxis,
            $"axis {axis}", Int("axis", axis), Float("epsilon", 1e-5f));
    }
}
