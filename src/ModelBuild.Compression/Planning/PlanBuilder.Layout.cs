using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>Lowering of broadcasting and layout operators (Binary, Softmax, Transpose, Concat, BatchNormalization).</summary>
internal sealed partial class PlanBuilder
{
    private void LowerBinary(Node node)
    {
        var outShape = PerSample(node.Outputs[0]);
        var rank = outShape.Length;
        var (a, shapeA) = BinaryOperand(node, 0, rank);
        var (b, shapeB) = BinaryOperand(node, 1, rank);
        if (a[0] == 'w' && b[0] == 'w')
        {
            throw new UnsupportedNodeException("both operands are constants (constant folding should have removed it)");
        }

        var output = Write(node.Outputs[0], node.Outputs[0]);
        Emit("Binary", node.Name, ("fn", node.OpType), ("a", a), ("b", b), ("out", N(output)), ("rank", N(rank)),
            ("shapeA", L(shapeA)), ("shapeB", L(shapeB)), ("shapeOut", L(outShape)));
    }

    /// <summary>An operand as <c>b&lt;id&gt;</c> (activation) or <c>w&lt;i&gt;</c> (constant), with its per-sample shape padded to <paramref name="rank"/>.</summary>
    private (string Token, int[] Shape) BinaryOperand(Node node, int index, int rank)
    {
        var name = node.Inputs[index];
        if (_graph.GetInitializer(name) is { } t)
        {
            var dims = t.Dims.Select(d => (int)d).ToArray();
            if (dims.Length == rank + 1)
            {
                dims = dims[0] == 1 ? dims[1..] : throw new UnsupportedNodeException($"constant '{name}' varies along the batch dimension");
            }
            else if (dims.Length > rank + 1)
            {
                throw new UnsupportedNodeException($"constant '{name}' has a higher rank than the result");
            }

            var padded = Enumerable.Repeat(1, rank - dims.Length).Concat(dims).ToArray();
            var index2 = Weights.AddFloats(name + "#bin", name, t.ToFloats(), padded.Length == 0 ? [1] : padded);
            return ("w" + N(index2), padded);
        }

        var shape = PerSample(name);
        if (shape.Length != rank)
        {
            throw new UnsupportedNodeException($"activation '{name}' broadcasts across the batch dimension");
        }

        return ("b" + N(Read(name)), shape);
    }

    private void LowerSoftmax(Node node)
    {
        var x = PerSample(node.Inputs[0]);
        var fullRank = x.Length + 1;
        var axis = (int)node.GetInt("axis", _graph.DefaultOpset >= 13 ? -1 : 1);
        axis = axis < 0 ? axis + fullRank : axis;
        if (axis < 1 || axis >= fullRank)
        {
            throw new UnsupportedNodeException($"softmax over axis {axis} (the batch) is not supported");
        }

        int Product(IEnumerable<int> dims) => dims.Aggregate(1, (p, d) => checked(p * d));
        var outer = Product(x.Take(axis - 1));
        int axisLength, inner;
        if (_graph.DefaultOpset >= 13)
        {
            axisLength = x[axis - 1];
            inner = Product(x.Skip(axis));
        }
        else
        {
            // Before opset 13 Softmax normalises over all dimensions from `axis` on, as one flattened axis.
            axisLength = Product(x.Skip(axis - 1));
            inner = 1;
        }

        var input = Read(node.Inputs[0]);
        var output = Write(node.Outputs[0], node.Outputs[0]);
        Emit("Softmax", node.Name, ("in", N(input)), ("out", N(output)), ("outer", N(outer)), ("axis", N(axisLength)), ("inner", N(inner)));
    }

    private void LowerTranspose(Node node)
    {
        var x = PerSample(node.Inputs[0]);
        var perm = node.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Length + 1).Reverse().ToArray();
        if (perm.Length != x.Length + 1 || perm[0] != 0)
        {
            throw new UnsupportedNodeException("a transpose that moves the batch dimension");
        }

        var input = Read(node.Inputs[0]);
        var output = Write(node.Outputs[0], node.Outputs[0]);
        Emit("Transpose", node.Name, ("in", N(input)), ("out", N(output)), ("shape", L(x)), ("perm", L(perm.Skip(1).Select(p => p - 1))));
    }

    private void LowerConcat(Node node)
    {
        var y = PerSample(node.Outputs[0]);
        var axis = (int)node.GetInt("axis", 1);
        axis = axis < 0 ? axis + y.Length + 1 : axis;
        if (axis < 1)
        {
            throw new UnsupportedNodeException("concatenation along the batch dimension");
        }

        if (node.Inputs.Any(_graph.IsInitializer))
        {
            throw new UnsupportedNodeException("a constant operand");
        }

        var outer = y.Take(axis - 1).Aggregate(1, (p, d) => checked(p * d));
        var inner = y.Skip(axis).Aggregate(1, (p, d) => checked(p * d));
        var sizes = node.Inputs.Select(i => PerSample(i)[axis - 1]).ToList();
        var ins = node.Inputs.Select(Read).ToList();
        var output = Write(node.Outputs[0], node.Outputs[0]);
        Emit("Concat", node.Name, ("ins", L(ins)), ("out", N(output)), ("outer", N(outer)), ("inner", N(inner)), ("sizes", L(sizes)));
    }

    private void LowerBatchNorm(Node node)
    {
        var x = PerSample(node.Inputs[0]);
        var c = x[0];
        var gamma = Initializer(node, 1).ToDoubles();
        var beta = Initializer(node, 2).ToDoubles();
        var mean = Initializer(node, 3).ToDoubles();
        var variance = Initializer(node, 4).ToDoubles();
        var epsilon = node.GetFloat("epsilon", 1e-5f);
        var scale = new float[c];
        var bias = new float[c];
        for (var i = 0; i < c; i++)
        {
            var s = gamma[i] / Math.Sqrt(variance[i] + epsilon);
            scale[i] = (float)s;
            bias[i] = (float)(beta[i] - (mean[i] * s));
        }

        var scaleIndex = Weights.AddFloats(node.Name + "#bn.scale", node.Inputs[1] + ".scale", scale, [c]);
        var biasIndex = Weights.AddFloats(node.Name + "#bn.bias", node.Inputs[2] + ".bias", bias, [c]);
        var input = Read(node.Inputs[0]);
        var output = WriteInPlace(node.Inputs[0], node.Outputs[0]);
        Emit("ChannelAffine", node.Name, ("in", N(input)), ("out", N(output)), ("c", N(c)), ("hw", N(x.Skip(1).Aggregate(1, (p, d) => p * d))),
            ("scale", N(scaleIndex)), ("bias", N(biasIndex)));
    }
}
