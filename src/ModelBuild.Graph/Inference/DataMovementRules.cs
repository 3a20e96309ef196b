namespace ModelBuild.Graph.Inference;

/// <summary>
/// Operators that move or generate elements: Pad, Expand, Tile, Split, Range, EyeLike, OneHot, GatherElements,
/// GatherND, ScatterElements, Scatter, ScatterND, DepthToSpace, SpaceToDepth, Compress, ReverseSequence, NonZero, Unique.
/// Shapes that depend on run-time values keep their rank with unknown dims.
/// </summary>
internal static class DataMovementRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Pad"] = Pad;
        rules["Expand"] = Expand;
        rules["Tile"] = Tile;
        rules["Split"] = Split;
        rules["Range"] = Range;
        rules["EyeLike"] = c => c.Set(0, c.Node.GetInt("dtype", 0) is > 0 and var t ? (DataType)t : c.Type(0), c.Shape(0));
        rules["OneHot"] = OneHot;
        rules["GatherElements"] = c => c.Set(0, c.Type(0), c.Shape(1));
        rules["GatherND"] = GatherNd;
        rules["ScatterElements"] = SameAsData;
        rules["Scatter"] = SameAsData;
        rules["ScatterND"] = SameAsData;
        rules["ReverseSequence"] = SameAsData;
        rules["DepthToSpace"] = c => Block(c, toSpace: true);
        rules["SpaceToDepth"] = c => Block(c, toSpace: false);
        rules["Compress"] = Compress;
        rules["Unique"] = Unique;
        rules["NonZero"] = c => c.Set(0, DataType.Int64, TensorShape.Of(c.Shape(0) is { } x ? Dim.Of(x.Rank) : Dim.Unknown, Dim.Unknown));
    }

    private static void SameAsData(NodeContext c) => c.Set(0, c.Type(0), c.Shape(0));

    private static TensorShape? RankOnly(TensorShape? x) => x is null ? null : new TensorShape(x.Select(_ => Dim.Unknown));

    private static void Pad(NodeContext c)
    {
        var x = c.Shape(0);
        var pads = c.Opset < 11 ? c.Node.GetInts("pads") ?? c.Node.GetInts("paddings") : c.Constants(1);
        var axes = c.Opset >= 18 && c.HasInput(3) ? c.Constants(3) : null;
        if (x is null || pads is null || (c.Opset >= 18 && c.HasInput(3) && axes is null))
        {
            c.Set(0, c.Type(0), RankOnly(x));
            return;
        }

        axes ??= Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        if (pads.Length != 2 * axes.Length)
        {
            throw c.Fail($"{pads.Length} pads for {axes.Length} axes");
        }

        var dims = x.ToArray<Dim>();
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = c.Axis(axes[i], x.Rank);
            dims[axis] = x[axis].Value is { } v ? Dim.Of(v + pads[i] + pads[i + axes.Length] is >= 0 and var n ? n : throw c.Fail($"pads crop axis {axis} below 0"))
                : pads[i] == 0 && pads[i + axes.Length] == 0 ? x[axis] : Dim.Unknown;
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    private static void Expand(NodeContext c)
    {
        var x = c.Shape(0);
        if (x is null || c.ShapeValue(1) is not { IsScalar: false } target)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var t = new TensorShape(target.Elements.Select(e => e.ToDim()));
        c.Set(0, c.Type(0), c.Broadcast([x, t]));
    }

    private static void Tile(NodeContext c)
    {
        var x = c.Shape(0);
        if (x is null || c.Constants(1) is not { } repeats || repeats.Length != x.Rank)
        {
            c.Set(0, c.Type(0), RankOnly(x));
            return;
        }

        c.Set(0, c.Type(0), new TensorShape(x.Select((d, i) => repeats[i] == 1 ? d : d.Value is { } v ? Dim.Of(v * repeats[i]) : Dim.Unknown)));
    }

    private static void Split(NodeContext c)
    {
        var x = c.Shape(0);
        var outputs = c.Node.Outputs.Count;
        var sizes = c.Opset < 13 ? c.Node.GetInts("split") ?? (c.HasInput(1) ? c.Constants(1) : null) : c.HasInput(1) ? c.Constants(1) : null;
        var computed = c.HasInput(1) && sizes is null;
        for (var o = 0; o < outputs; o++)
        {
            if (x is null)
            {
                c.Set(o, c.Type(0), null);
                continue;
            }

            var axis = c.Axis(c.Node.GetInt("axis", 0), x.Rank);
            Dim part = Dim.Unknown;
            if (sizes is not null && o < sizes.Length)
            {
                part = sizes[o] >= 0 ? Dim.Of(sizes[o]) : throw c.Fail($"split size {sizes[o]}");
            }
            else if (!computed && sizes is null && x[axis].Value is { } n)
            {
                var chunk = (n + outputs - 1) / outputs;
                part = Dim.Of(Math.Clamp(n - (o * chunk), 0, chunk));
            }

            c.Set(o, c.Type(0), new TensorShape(x.Select((d, i) => i == axis ? part : d)));
        }
    }

    private static void Range(NodeContext c)
    {
        Dim length = Dim.Unknown;
        if (c.Constants(0) is [var start] && c.Constants(1) is [var limit] && c.Constants(2) is [var delta and not 0])
        {
            // ceil((limit − start) / delta) for either sign of delta.
            var span = limit - start;
            var count = (span / delta) + (span % delta != 0 && (span > 0) == (delta > 0) ? 1 : 0);
            length = Dim.Of(Math.Max(0, count));
        }

        c.Set(0, c.Type(0), TensorShape.Of(length));
    }

    private static void OneHot(NodeContext c)
    {
        var type = c.Type(2);
        if (c.Shape(0) is not { } indices)
        {
            c.Set(0, type, null);
            return;
        }

        var rank = indices.Rank + 1;
        var axis = c.Axis(c.Node.GetInt("axis", -1), rank);
        var depth = c.Constants(1) is [var d] ? Dim.Of(d) : Dim.Unknown;
        var dims = indices.Take(axis).Append(depth).Concat(indices.Skip(axis));
        c.Set(0, type, new TensorShape(dims));
    }

    private static void GatherNd(NodeContext c)
    {
        var b = (int)c.Node.GetInt("batch_dims", 0);
        if (c.Shape(0) is not { } x || c.Shape(1) is not { Rank: >= 1 } ids || ids[^1].Value is not { } k || b + k > x.Rank)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        c.Set(0, c.Type(0), new TensorShape(ids.Take(ids.Rank - 1).Concat(x.Skip(b + (int)k))));
    }

    private static void Block(NodeContext c, bool toSpace)
    {
        var b = c.Node.GetInt("blocksize", 1);
        if (c.Shape(0) is not { Rank: 4 } x || b < 1)
        {
            c.Set(0, c.Type(0), c.Shape(0) is { } s ? RankOnly(s) : null);
            return;
        }

        Dim Scale(Dim d, bool multiply) => d.Value is { } v ? Dim.Of(multiply ? v * b : v / b) : Dim.Unknown;
        c.Set(0, c.Type(0), toSpace
            ? TensorShape.Of(x[0], x[1].Value is { } ch ? Dim.Of(ch / (b * b)) : Dim.Unknown, Scale(x[2], true), Scale(x[3], true))
            : TensorShape.Of(x[0], x[1].Value is { } ci ? Dim.Of(ci * b * b) : Dim.Unknown, Scale(x[2], false), Scale(x[3], false)));
    }

    private static void Compress(NodeContext c)
    {
        var x = c.Shape(0);
        if (c.Node.Attribute("axis") is null)
        {
            c.Set(0, c.Type(0), TensorShape.Of(Dim.Unknown));
            return;
        }

        if (x is null)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var axis = c.Axis(c.Node.GetInt("axis", 0), x.Rank);
        c.Set(0, c.Type(0), new TensorShape(x.Select((d, i) => i == axis ? Dim.Unknown : d)));
    }

    private static void Unique(NodeContext c)
    {
        Compress(c); // the same shape: the axis (or the flattened input) shrinks to a count known at run time
        for (var o = 1; o < 4; o++)
        {
            c.Set(o, DataType.Int64, TensorShape.Of(Dim.Unknown));
        }
    }
}
