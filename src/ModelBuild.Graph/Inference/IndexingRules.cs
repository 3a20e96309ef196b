namespace ModelBuild.Graph.Inference;

/// <summary>Concat, Slice, Gather, Shape, Size, Constant and ConstantOfShape.</summary>
internal static class IndexingRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Concat"] = Concat;
        rules["Slice"] = Slice;
        rules["Gather"] = Gather;
        rules["Shape"] = Shape;
        rules["Size"] = c => c.Set(0, DataType.Int64, TensorShape.Scalar);
        rules["Constant"] = Constant;
        rules["ConstantOfShape"] = ConstantOfShape;
    }

    private static void Concat(NodeContext c)
    {
        var shapes = Enumerable.Range(0, c.InputCount).Select(c.Shape).ToList();
        if (shapes.Count == 0 || shapes.Any(s => s is null))
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var rank = shapes[0]!.Rank;
        if (shapes.Any(s => s!.Rank != rank))
        {
            throw c.Fail($"inputs have different ranks ({string.Join(", ", shapes)})");
        }

        var axis = c.Axis(c.Node.GetInt("axis", 0), rank);
        var dims = shapes[0]!.ToArray<Dim>();
        for (var i = 0; i < rank; i++)
        {
            if (i == axis)
            {
                dims[i] = shapes.All(s => s![axis].IsKnown) ? Dim.Of(shapes.Sum(s => s![axis].Value!.Value)) : Dim.Unknown;
                continue;
            }

            foreach (var s in shapes.Skip(1))
            {
                dims[i] = c.Unify(dims[i], s![i], $"dimension {i} of the inputs ({string.Join(", ", shapes)})");
            }
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static void Slice(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        long[]? starts, ends, axes, steps;
        if (c.Opset < 10)
        {
            (starts, ends, axes, steps) = (c.Node.GetInts("starts"), c.Node.GetInts("ends"), c.Node.GetInts("axes"), null);
        }
        else
        {
            (starts, ends) = (c.Constants(1), c.Constants(2));
            axes = c.HasInput(3) ? c.Constants(3) : null;
            steps = c.HasInput(4) ? c.Constants(4) : null;
            if ((c.HasInput(3) && axes is null) || (c.HasInput(4) && steps is null))
            {
                starts = null;
            }
        }

        if (starts is null || ends is null)
        {
            // Only the rank is known when the bounds are computed at run time.
            c.Set(0, c.Type(0), new TensorShape(x.Select(_ => Dim.Unknown)));
            return;
        }

        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            throw c.Fail("starts, ends, axes and steps differ in length");
        }

        var dims = x.ToArray<Dim>();
        for (var i = 0; i < starts.Length; i++)
        {
            var axis = c.Axis(axes[i], x.Rank);
            if (steps[i] == 0)
            {
                throw c.Fail("a step is 0");
            }

            dims[axis] = x[axis].Value is { } size
                ? Dim.Of(SliceMath.Range(size, starts[i], ends[i], steps[i]).Count)
                : starts[i] == 0 && ends[i] >= int.MaxValue && steps[i] == 1 ? x[axis] : Dim.Unknown;
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static void Gather(NodeContext c)
    {
        if (c.Shape(0) is not { } data || c.Shape(1) is not { } indices)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var axis = c.Axis(c.Node.GetInt("axis", 0), data.Rank);
        var dims = data.Take(axis).Concat(indices).Concat(data.Skip(axis + 1));
        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static void Shape(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, DataType.Int64, TensorShape.Of(Dim.Unknown));
            return;
        }

        var start = Math.Clamp(c.Node.GetInt("start", 0) is var s && s < 0 ? s + x.Rank : s, 0, x.Rank);
        var end = Math.Clamp(c.Node.GetInt("end", x.Rank) is var e && e < 0 ? e + x.Rank : e, 0, x.Rank);
        c.Set(0, DataType.Int64, TensorShape.Of(Math.Max(0, end - start)));
    }

    private static void Constant(NodeContext c)
    {
        var n = c.Node;
        if (n.Attribute("value")?.Tensor is { } t)
        {
            c.Set(0, t.DataType, t.Shape);
        }
        else if (n.Attribute("value_float") is { Kind: AttributeKind.Float })
        {
            c.Set(0, DataType.Float, TensorShape.Scalar);
        }
        else if (n.Attribute("value_int") is { Kind: AttributeKind.Int })
        {
            c.Set(0, DataType.Int64, TensorShape.Scalar);
        }
        else if (n.GetFloats("value_floats") is { } floats)
        {
            c.Set(0, DataType.Float, TensorShape.Of(floats.LongLength));
        }
        else if (n.GetInts("value_ints") is { } ints)
        {
            c.Set(0, DataType.Int64, TensorShape.Of(ints.LongLength));
        }
    }

    private static void ConstantOfShape(NodeContext c)
    {
        var type = c.Node.Attribute("value")?.Tensor?.DataType ?? DataType.Float;
        var shape = c.ShapeValue(0);
        c.Set(0, type, shape is { IsScalar: false } ? new TensorShape(shape.Elements.Select(e => e.ToDim())) : null);
    }
}
