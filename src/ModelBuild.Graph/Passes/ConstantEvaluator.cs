using ModelBuild.Graph.Inference;

namespace ModelBuild.Graph.Passes;

/// <summary>
/// Evaluates one node whose inputs are all constants. Data movement works on raw element bytes, so it is exact for
/// every element type; arithmetic runs in float64 (float types) or int64 (integer types).
/// </summary>
internal static partial class ConstantEvaluator
{
    /// <summary>Operators <see cref="TryEvaluate"/> may fold.</summary>
    public static readonly IReadOnlySet<string> Operators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Identity", "Reshape", "Flatten", "Transpose", "Unsqueeze", "Squeeze", "Concat", "Gather", "Slice", "Cast",
        "Shape", "Add", "Sub", "Mul", "Div",
    };

    /// <summary>The node's single output as a tensor, or null when this evaluator cannot compute it.</summary>
    public static Tensor? TryEvaluate(Node node, IReadOnlyList<Tensor?> inputs, long opset)
    {
        var name = node.Outputs[0];
        try
        {
            return node.OpType switch
            {
                "Identity" => WithDims(inputs[0]!, name, inputs[0]!.Dims),
                "Reshape" => Reshape(node, inputs, opset, name),
                "Flatten" => Flatten(node, inputs[0]!, name),
                "Transpose" => Transpose(node, inputs[0]!, name),
                "Unsqueeze" or "Squeeze" => SqueezeOrUnsqueeze(node, inputs, opset, name),
                "Concat" => Concat(node, inputs, name),
                "Gather" => Gather(node, inputs[0]!, inputs[1]!, name),
                "Slice" => Slice(node, inputs, opset, name),
                "Cast" => Cast(inputs[0]!, (DataType)node.GetInt("to", 0), name),
                "Add" or "Sub" or "Mul" or "Div" => Arithmetic(node.OpType, inputs[0]!, inputs[1]!, name),
                _ => null,
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException
            or ModelBuildException { Code: ModelBuild.Onnx.OnnxErrors.UnsupportedConstruct })
        {
            // A node we cannot fold stays in the graph; ONNX Runtime will report the real problem if there is one.
            return null;
        }
    }

    private static Tensor WithDims(Tensor t, string name, long[] dims) => new(name, t.DataType, dims, t.RawData) { StringData = t.StringData };

    private static Tensor? Reshape(Node node, IReadOnlyList<Tensor?> inputs, long opset, string name)
    {
        var data = inputs[0]!;
        var target = opset < 5 ? node.GetInts("shape") : inputs.Count > 1 ? inputs[1]?.ToInt64s() : null;
        if (target is null)
        {
            return null;
        }

        var allowZero = node.GetInt("allowzero", 0) != 0;
        var dims = target.Select((d, i) => d == 0 && !allowZero ? data.Dims[i] : d).ToArray();
        var minus = Array.IndexOf(dims, -1L);
        if (minus >= 0)
        {
            var others = dims.Where((_, i) => i != minus).Aggregate(1L, (a, d) => a * d);
            dims[minus] = others == 0 ? 0 : data.ElementCount / others;
        }

        return dims.Any(d => d < 0) || dims.Aggregate(1L, (a, d) => a * d) != data.ElementCount ? null : WithDims(data, name, dims);
    }

    private static Tensor Flatten(Node node, Tensor data, string name)
    {
        var rank = data.Dims.Length;
        var axis = (int)node.GetInt("axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        var outer = data.Dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        return WithDims(data, name, [outer, data.ElementCount / Math.Max(1, outer)]);
    }

    private static Tensor? SqueezeOrUnsqueeze(Node node, IReadOnlyList<Tensor?> inputs, long opset, string name)
    {
        var data = inputs[0]!;
        var axes = opset < 13 ? node.GetInts("axes") : inputs.Count > 1 ? inputs[1]?.ToInt64s() : null;
        var dims = data.Dims.ToList();
        if (node.OpType == "Squeeze")
        {
            var rank = dims.Count;
            var drop = axes?.Select(a => a < 0 ? a + rank : a).ToHashSet()
                ?? Enumerable.Range(0, rank).Where(i => dims[i] == 1).Select(i => (long)i).ToHashSet();
            return drop.Any(a => a < 0 || a >= rank || dims[(int)a] != 1) ? null
                : WithDims(data, name, dims.Where((_, i) => !drop.Contains(i)).ToArray());
        }

        if (axes is null)
        {
            return null;
        }

        var outRank = dims.Count + axes.Length;
        foreach (var a in axes.Select(a => a < 0 ? a + outRank : a).Order())
        {
            dims.Insert((int)a, 1);
        }

        return WithDims(data, name, dims.ToArray());
    }

    private static Tensor? Transpose(Node node, Tensor data, string name)
    {
        var rank = data.Dims.Length;
        var perm = node.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var outDims = perm.Select(p => data.Dims[p]).ToArray();
        var inStrides = Strides(data.Dims);
        var width = data.DataType.ElementSize();
        if (width == 0)
        {
            return null;
        }

        var result = new byte[data.RawData.Length];
        var index = new long[rank];
        for (long o = 0; o < data.ElementCount; o++)
        {
            long source = 0;
            for (var d = 0; d < rank; d++)
            {
                source += index[d] * inStrides[perm[d]];
            }

            Array.Copy(data.RawData, source * width, result, o * width, width);
            Increment(index, outDims);
        }

        return new Tensor(name, data.DataType, outDims, result);
    }

    private static Tensor? Concat(Node node, IReadOnlyList<Tensor?> inputs, string name)
    {
        var first = inputs[0]!;
        var rank = first.Dims.Length;
        var axis = (int)node.GetInt("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var width = first.DataType.ElementSize();
        if (width == 0 || inputs.Any(t => t is null || t.DataType != first.DataType || t.Dims.Length != rank))
        {
            return null;
        }

        var outer = first.Dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        var dims = first.Dims.ToArray();
        dims[axis] = inputs.Sum(t => t!.Dims[axis]);
        using var stream = new MemoryStream();
        for (long o = 0; o < outer; o++)
        {
            foreach (var t in inputs)
            {
                var block = t!.ElementCount / Math.Max(1, outer) * width;
                stream.Write(t.RawData, (int)(o * block), (int)block);
            }
        }

        return new Tensor(name, first.DataType, dims, stream.ToArray());
    }

    private static Tensor? Gather(Node node, Tensor data, Tensor indicesTensor, string name)
    {
        var rank = data.Dims.Length;
        var axis = (int)node.GetInt("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var width = data.DataType.ElementSize();
        if (width == 0)
        {
            return null;
        }

        var indices = indicesTensor.ToInt64s().Select(i => i < 0 ? i + data.Dims[axis] : i).ToArray();
        var outer = data.Dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        var inner = data.Dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d) * width;
        var result = new byte[outer * indices.Length * inner];
        var offset = 0L;
        for (long o = 0; o < outer; o++)
        {
            foreach (var i in indices)
            {
                Array.Copy(data.RawData, ((o * data.Dims[axis]) + i) * inner, result, offset, inner);
                offset += inner;
            }
        }

        var dims = data.Dims.Take(axis).Concat(indicesTensor.Dims).Concat(data.Dims.Skip(axis + 1)).ToArray();
        return new Tensor(name, data.DataType, dims, result);
    }

    private static Tensor? Slice(Node node, IReadOnlyList<Tensor?> inputs, long opset, string name)
    {
        var data = inputs[0]!;
        var rank = data.Dims.Length;
        long[]? starts, ends, axes, steps;
        if (opset < 10)
        {
            (starts, ends, axes, steps) = (node.GetInts("starts"), node.GetInts("ends"), node.GetInts("axes"), null);
        }
        else
        {
            (starts, ends) = (inputs[1]?.ToInt64s(), inputs[2]?.ToInt64s());
            axes = inputs.Count > 3 ? inputs[3]?.ToInt64s() : null;
            steps = inputs.Count > 4 ? inputs[4]?.ToInt64s() : null;
        }

        var width = data.DataType.ElementSize();
        if (starts is null || ends is null || width == 0)
        {
            return null;
        }

        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var first = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var outDims = data.Dims.ToArray();
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
            step[axis] = steps?[i] ?? 1;
            (first[axis], outDims[axis]) = SliceMath.Range(data.Dims[axis], starts[i], ends[i], step[axis]);
        }

        var strides = Strides(data.Dims);
        var count = outDims.Aggregate(1L, (a, d) => a * d);
        var result = new byte[count * width];
        var index = new long[rank];
        for (long o = 0; o < count; o++)
        {
            long source = 0;
            for (var d = 0; d < rank; d++)
            {
                source += (first[d] + (index[d] * step[d])) * strides[d];
            }

            Array.Copy(data.RawData, source * width, result, o * width, width);
            Increment(index, outDims);
        }

        return new Tensor(name, data.DataType, outDims, result);
    }

    private static long[] Strides(long[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (var i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= dims[i];
        }

        return strides;
    }

    private static void Increment(long[] index, long[] dims)
    {
        for (var d = index.Length - 1; d >= 0; d--)
        {
            if (++index[d] < dims[d])
            {
                return;
            }

            index[d] = 0;
        }
    }
}
