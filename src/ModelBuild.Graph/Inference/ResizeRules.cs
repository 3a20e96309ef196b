namespace ModelBuild.Graph.Inference;

/// <summary>
/// Resize and Upsample: the input's element type and rank; each resized dim from <c>sizes</c> (constant or symbolic
/// shape arithmetic) or from ⌊scale·dim⌋ for constant scales and a known dim (float32 product, as ONNX Runtime).
/// GridSample: one output point per grid point. RoiAlign: one output_height × output_width grid per region.
/// </summary>
internal static class ResizeRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Resize"] = Resize;
        rules["Upsample"] = Resize;
        rules["GridSample"] = GridSample;
        rules["RoiAlign"] = RoiAlign;
    }

    /// <summary>[R, C, output_height, output_width].</summary>
    private static void RoiAlign(NodeContext c)
    {
        var x = c.Shape(0);
        var regions = c.Shape(1) is { Rank: 2 } r ? r[0] : c.Shape(2) is { Rank: 1 } b ? b[0] : Dim.Unknown;
        var (height, width) = (c.Node.GetInt("output_height", 1), c.Node.GetInt("output_width", 1));
        if (height < 1 || width < 1)
        {
            throw c.Fail($"output_height and output_width must be at least 1 (they are {height} and {width})");
        }

        c.Set(0, c.Type(0), new TensorShape([regions, x is { Rank: 4 } ? x[1] : Dim.Unknown, Dim.Of(height), Dim.Of(width)]));
    }

    /// <summary>[N, C, grid's spatial dims…]: one output point per grid point.</summary>
    private static void GridSample(NodeContext c)
    {
        var x = c.Shape(0);
        var grid = c.Shape(1);
        c.Set(0, c.Type(0), x is { Rank: >= 3 } && grid is { } g && g.Rank == x.Rank
            ? new TensorShape(new[] { x[0], x[1] }.Concat(g.Skip(1).Take(g.Rank - 2)))
            : null);
    }

    private static void Resize(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var dims = x.Select(d => d).ToArray();
        var axes = AxesOf(c, x.Rank);
        var sizes = c.Node.OpType == "Resize" && c.Opset >= 11 && c.HasInput(3) ? c.ShapeValue(3) : null;
        var keepAspect = c.Node.GetString("keep_aspect_ratio_policy", "stretch") != "stretch";
        if (sizes is { IsScalar: false } && sizes.Elements.Count > 0)
        {
            if (sizes.Elements.Count != axes.Length)
            {
                throw c.Fail($"sizes has {sizes.Elements.Count} values for {axes.Length} axes");
            }

            for (var i = 0; i < axes.Length; i++)
            {
                dims[axes[i]] = keepAspect ? Dim.Unknown : sizes.Elements[i].ToDim();
            }
        }
        else if (ScalesOf(c) is { Length: > 0 } scales)
        {
            if (scales.Length != axes.Length)
            {
                throw c.Fail($"scales has {scales.Length} values for {axes.Length} axes");
            }

            foreach (var s in scales)
            {
                if (!(s > 0) || !float.IsFinite(s))
                {
                    // ONNX requires positive scales; a negative one would give a negative dimension.
                    throw c.Fail(FormattableString.Invariant($"scales must be finite and greater than 0 (one is {s})"));
                }
            }

            for (var i = 0; i < axes.Length; i++)
            {
                var d = dims[axes[i]];
                dims[axes[i]] = scales[i] == 1 ? d : d.Value is { } v ? Dim.Of((long)MathF.Floor(scales[i] * v)) : Dim.Unknown;
            }
        }
        else
        {
            foreach (var a in axes)
            {
                dims[a] = Dim.Unknown;
            }
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static int[] AxesOf(NodeContext c, int rank) =>
        c.Node.GetInts("axes") is { Length: > 0 } axes ? axes.Select(a => c.Axis(a, rank)).ToArray() : Enumerable.Range(0, rank).ToArray();

    /// <summary>Constant scales: Upsample-7's attribute, else the scales input (1 before opset 11, 2 from 11 on).</summary>
    private static float[]? ScalesOf(NodeContext c)
    {
        if (c.Node.OpType == "Upsample" && c.Node.GetFloats("scales") is { } attribute)
        {
            return attribute;
        }

        var index = c.Node.OpType == "Resize" && c.Opset >= 11 ? 2 : 1;
        return c.Node.InputOrNull(index) is { } name && c.Graph.GetInitializer(name) is { } t ? t.ToFloats() : null;
    }
}
