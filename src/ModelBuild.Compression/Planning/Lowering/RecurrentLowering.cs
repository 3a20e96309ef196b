using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX LSTM, GRU and RNN → <see cref="LstmOp"/>, <see cref="GruOp"/>, <see cref="RnnOp"/>. W, R, B and P must be
/// constants: they are packed here, per direction, into the layouts the ops multiply by (Wᵀ <c>[I, G·H]</c>, Rᵀ
/// <c>[H, G·H]</c>, the two biases summed where the formula adds them). Refused: computed weights, sequence_lens
/// that are computed or shorter than the sequence, activation lists other than Sigmoid/Tanh/Relu (the same for both
/// directions), LSTM with clip.
/// </summary>
internal sealed class RecurrentLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["GRU", "LSTM", "RNN"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("X is not a float tensor");
        }

        var gates = node.OpType switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        var w = Weight(c, node, 1, "W");
        var r = Weight(c, node, 2, "R");
        var directions = (int)w.Dims[0];
        var direction = node.GetString("direction", "forward") switch
        {
            "forward" => RecurrenceDirection.Forward,
            "reverse" => RecurrenceDirection.Reverse,
            "bidirectional" => RecurrenceDirection.Bidirectional,
            var other => throw new UnsupportedNodeException($"direction '{other}'"),
        };
        var hidden = (int)node.GetInt("hidden_size", r.Dims[2]);
        var input = (int)w.Dims[2];
        if (directions != (direction == RecurrenceDirection.Bidirectional ? 2 : 1) || w.Dims[1] != gates * hidden
            || r.Dims[0] != directions || r.Dims[1] != gates * hidden || r.Dims[2] != hidden || hidden <= 0)
        {
            throw new UnsupportedNodeException($"W {Format(w.Dims)} and R {Format(r.Dims)} do not match hidden_size {hidden} and direction");
        }

        var layout = node.GetInt("layout", 0);
        if (layout is not (0 or 1))
        {
            throw new UnsupportedNodeException($"layout = {layout}");
        }

        RequireFullSequences(c, node, layout == 1);
        var functions = Activations(node, gates, directions);
        var clip = node.GetFloat("clip", 0f);
        if (clip < 0f)
        {
            throw new UnsupportedNodeException($"clip = {clip}");
        }

        var bias = node.InputOrNull(3) is { } bName ? Bias(c, bName, directions, gates * hidden) : null;
        var wt = PackTransposed(w.ToFloats(), directions, gates * hidden, input, 0, gates * hidden);
        var rv = r.ToFloats();
        var label = c.NodeLabel(node);
        var wEntry = c.Floats($"{label}#Wt", w.Name, wt);
        var x = c.Read(node.Inputs[0]);
        var initialH = node.InputOrNull(5) is { } ih ? c.Read(ih) : -1;
        switch (node.OpType)
        {
            case "LSTM":
            {
                if (clip > 0f)
                {
                    throw new UnsupportedNodeException("clip on LSTM (whether the cell state is clipped before h is not fixed by the spec)");
                }

                var initialC = node.InputOrNull(6) is { } ic ? c.Read(ic) : -1;
                var rEntry = c.Floats($"{label}#Rt", r.Name, PackTransposed(rv, directions, gates * hidden, hidden, 0, gates * hidden));
                var bEntry = bias is null ? -1 : c.Floats($"{label}#B", bias.Name, SummedBias(bias.ToFloats(), directions, gates * hidden));
                var pEntry = node.InputOrNull(7) is { } pName ? c.Floats($"{label}#P", pName, Peepholes(c, pName, directions, hidden)) : -1;
                int y = Optional(c, node, 0), yh = Optional(c, node, 1), yc = Optional(c, node, 2);
                c.Emit(new LstmOp(x, initialH, initialC, y, yh, yc, wEntry, rEntry, bEntry, pEntry, hidden, direction, layout == 1,
                    node.GetInt("input_forget", 0) != 0, functions[0], functions[1], functions[2]));
                break;
            }

            case "GRU":
            {
                var rzr = c.Floats($"{label}#Rzr", r.Name, PackTransposed(rv, directions, gates * hidden, hidden, 0, 2 * hidden));
                var rh = c.Floats($"{label}#Rh", r.Name, PackTransposed(rv, directions, gates * hidden, hidden, 2 * hidden, hidden));
                var bEntry = bias is null ? -1 : c.Floats($"{label}#B", bias.Name, GruBias(bias.ToFloats(), directions, hidden));
                int y = Optional(c, node, 0), yh = Optional(c, node, 1);
                c.Emit(new GruOp(x, initialH, y, yh, wEntry, rzr, rh, bEntry, hidden, direction, layout == 1,
                    node.GetInt("linear_before_reset", 0) != 0, clip, functions[0], functions[1]));
                break;
            }

            default:
            {
                var rEntry = c.Floats($"{label}#Rt", r.Name, PackTransposed(rv, directions, hidden, hidden, 0, hidden));
                var bEntry = bias is null ? -1 : c.Floats($"{label}#B", bias.Name, SummedBias(bias.ToFloats(), directions, hidden));
                int y = Optional(c, node, 0), yh = Optional(c, node, 1);
                c.Emit(new RnnOp(x, initialH, y, yh, wEntry, rEntry, bEntry, hidden, direction, layout == 1, clip, functions[0]));
                break;
            }
        }
    }

    private static int Optional(LoweringContext c, Node node, int i) =>
        i < node.Outputs.Count && node.Outputs[i].Length > 0 ? c.Write(node.Outputs[i]) : -1;

    private static Tensor Weight(LoweringContext c, Node node, int index, string what)
    {
        var t = node.InputOrNull(index) is { } name ? c.Constant(name) : null;
        if (t is null)
        {
            throw new UnsupportedNodeException($"{what} is not a constant");
        }

        c.RequireFloat(t);
        return t.Dims.Length == 3 ? t : throw new UnsupportedNodeException($"{what} {Format(t.Dims)} is not 3-D");
    }

    private static Tensor Bias(LoweringContext c, string name, int directions, int width)
    {
        var t = c.Constant(name) ?? throw new UnsupportedNodeException("B is not a constant");
        c.RequireFloat(t);
        return t.Dims is [var d, var n] && d == directions && n == 2 * width ? t
            : throw new UnsupportedNodeException($"B {Format(t.Dims)} is not [{directions}, {2 * width}]");
    }

    private static float[] Peepholes(LoweringContext c, string name, int directions, int hidden)
    {
        var t = c.Constant(name) ?? throw new UnsupportedNodeException("P is not a constant");
        c.RequireFloat(t);
        return t.Dims is [var d, var n] && d == directions && n == 3 * hidden ? t.ToFloats()
            : throw new UnsupportedNodeException($"P {Format(t.Dims)} is not [{directions}, {3 * hidden}]");
    }

    /// <summary>sequence_lens may only say what the shape says: every sequence is the full length.</summary>
    private static void RequireFullSequences(LoweringContext c, Node node, bool batchMajor)
    {
        if (node.InputOrNull(4) is not { } name)
        {
            return;
        }

        var lengths = c.ConstantInts(node, 4) ?? throw new UnsupportedNodeException("sequence_lens is computed (only full-length sequences are supported)");
        var steps = c.ShapeOf(node.Inputs[0]) is { Rank: 3 } xs ? xs[batchMajor ? 1 : 0].Value : null;
        if (steps is null || lengths.Any(l => l != steps))
        {
            throw new UnsupportedNodeException("sequence_lens shorter than the sequence (only full-length sequences are supported)");
        }
    }

    /// <summary>The activations per direction (f, g, h); the defaults, or a list naming Sigmoid, Tanh or Relu.</summary>
    private static UnaryFunction[] Activations(Node node, int gates, int directions)
    {
        var count = gates switch { 4 => 3, 3 => 2, _ => 1 };
        UnaryFunction[] defaults = count switch
        {
            3 => [UnaryFunction.Sigmoid, UnaryFunction.Tanh, UnaryFunction.Tanh],
            2 => [UnaryFunction.Sigmoid, UnaryFunction.Tanh],
            _ => [UnaryFunction.Tanh],
        };
        if (node.Attribute("activations") is not { Kind: AttributeKind.Strings } a)
        {
            return defaults;
        }

        if (a.Strings.Length != count * directions)
        {
            throw new UnsupportedNodeException($"{a.Strings.Length} activations (expected {count * directions})");
        }

        var functions = a.Strings.Select(s => s.ToLowerInvariant() switch
        {
            "sigmoid" => UnaryFunction.Sigmoid,
            "tanh" => UnaryFunction.Tanh,
            "relu" => UnaryFunction.Relu,
            _ => throw new UnsupportedNodeException($"the activation '{s}' (Sigmoid, Tanh and Relu are supported)"),
        }).ToArray();
        if (directions == 2 && !functions.AsSpan(0, count).SequenceEqual(functions.AsSpan(count, count)))
        {
            throw new UnsupportedNodeException("different activations per direction");
        }

        return functions[..count];
    }

    /// <summary>
    /// For each direction, rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> of a
    /// <c>[rows, cols]</c> matrix, transposed to <c>[cols, count]</c>.
    /// </summary>
    private static float[] PackTransposed(float[] values, int directions, int rows, int cols, int first, int count)
    {
        var packed = new float[directions * cols * count];
        for (var d = 0; d < directions; d++)
        {
            for (var i = 0; i < count; i++)
            {
                for (var k = 0; k < cols; k++)
                {
                    packed[(d * cols * count) + (k * count) + i] = values[(d * rows * cols) + ((first + i) * cols) + k];
                }
            }
        }

        return packed;
    }

    /// <summary>Wb + Rb per direction (B is <c>[D, 2·width]</c>).</summary>
    private static float[] SummedBias(float[] b, int directions, int width)
    {
        var sum = new float[directions * width];
        for (var d = 0; d < directions; d++)
        {
            for (var i = 0; i < width; i++)
            {
                sum[(d * width) + i] = b[(d * 2 * width) + i] + b[(d * 2 * width) + width + i];
            }
        }

        return sum;
    }

    /// <summary>GRU's bias per direction: <c>[Wbz + Rbz, Wbr + Rbr, Wbh, Rbh]</c> (Rbh is applied inside the reset).</summary>
    private static float[] GruBias(float[] b, int directions, int hidden)
    {
        var packed = new float[directions * 4 * hidden];
        for (var d = 0; d < directions; d++)
        {
            var src = d * 6 * hidden;
            var dst = d * 4 * hidden;
            for (var i = 0; i < 2 * hidden; i++)
            {
                packed[dst + i] = b[src + i] + b[src + (3 * hidden) + i];
            }

            for (var i = 0; i < hidden; i++)
            {
                packed[dst + (2 * hidden) + i] = b[src + (2 * hidden) + i];
                packed[dst + (3 * hidden) + i] = b[src + (5 * hidden) + i];
            }
        }

        return packed;
    }

    private static string Format(long[] dims) => "[" + string.Join(", ", dims) + "]";
}
