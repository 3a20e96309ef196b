namespace ModelBuild.Graph.Inference;

/// <summary>Operators that only rearrange: Reshape, Flatten, Transpose, Squeeze, Unsqueeze.</summary>
internal static class LayoutRules
{
    public static void Register(Dictionary<string, Action<NodeContext>> rules)
    {
        rules["Reshape"] = Reshape;
        rules["Flatten"] = Flatten;
        rules["Transpose"] = Transpose;
        rules["Squeeze"] = Squeeze;
        rules["Unsqueeze"] = Unsqueeze;
    }

    /// <summary>Axes come from the attribute before opset 13 and from input 1 from opset 13 on.</summary>
    private static long[]? Axes(NodeContext c) => c.Opset < 13 ? c.Node.GetInts("axes") : c.HasInput(1) ? c.Constants(1) : null;

    private static bool AxesUnknown(NodeContext c) => c.Opset >= 13 && c.HasInput(1) && c.Constants(1) is null;

    private static void Reshape(NodeContext c)
    {
        var target = c.Opset < 5
            ? c.Node.GetInts("shape") is { } attr ? new ShapeTensorValue(false, attr.Select(ShapeElement.Of).ToList()) : null
            : c.ShapeValue(1);
        if (target is null || target.IsScalar || c.Shape(0) is not { } x)
        {
            // Without the input's shape, only positive entries are known (0 copies and -1 infers from the input).
            c.Set(0, c.Type(0), target is { IsScalar: false }
                ? new TensorShape(target.Elements.Select(e => e.Value is > 0 || e.Symbol is not null ? e.ToDim() : Dim.Unknown))
                : null);
            return;
        }

        var allowZero = c.Node.GetInt("allowzero", 0) != 0;
        var dims = new Dim[target.Elements.Count];
        var inferred = -1;
        for (var i = 0; i < dims.Length; i++)
        {
            var e = target.Elements[i];
            if (e.Value == 0 && !allowZero)
            {
                dims[i] = i < x.Rank ? x[i] : throw c.Fail($"shape element {i} is 0 (copy) but the input {x} has rank {x.Rank}");
            }
            else if (e.Value == -1)
            {
                inferred = inferred < 0 ? i : throw c.Fail("the target shape has more than one -1");
                dims[i] = Dim.Unknown;
            }
            else if (e.Value < -1)
            {
                throw c.Fail($"shape element {i} is {e.Value}");
            }
            else
            {
                dims[i] = e.ToDim();
            }
        }

        if (inferred >= 0)
        {
            dims[inferred] = InferMinusOne(c, x, dims, inferred);
        }
        else if (x.IsStatic && dims.All(d => d.IsKnown) && x.ElementCount() != DimMath.Product(dims).Value)
        {
            throw c.Fail($"cannot reshape {x} to {new TensorShape(dims)}");
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }

    /// <summary>The -1 entry: input elements divided by the other entries, cancelling equal symbols first.</summary>
    private static Dim InferMinusOne(NodeContext c, TensorShape x, Dim[] dims, int inferred)
    {
        var (inKnown, inSymbols) = Split(x);
        var (outKnown, outSymbols) = Split(dims.Where((_, i) => i != inferred));
        if (inSymbols is null || outSymbols is null)
        {
            return Dim.Unknown; // an unnamed unknown dimension on either side
        }

        foreach (var s in outSymbols.ToList())
        {
            if (inSymbols.Remove(s))
            {
                outSymbols.Remove(s);
            }
        }

        if (outSymbols.Count > 0 || inSymbols.Count > 1 || outKnown == 0)
        {
            return Dim.Unknown;
        }

        if (inKnown % outKnown != 0)
        {
            throw c.Fail($"cannot reshape {x} ({inKnown} known elements) with other dimensions totalling {outKnown}");
        }

        if (inSymbols.Count == 0)
        {
            return Dim.Of(inKnown / outKnown);
        }

        // symbol·k / k is the symbol; symbol·k / j for j ≠ k has no name.
        return inKnown == outKnown ? Dim.Sym(inSymbols[0]) : Dim.Unknown;
    }

    /// <summary>The product of the known dims and the list of symbols; null symbols when a dim is wholly unknown.</summary>
    private static (long Known, List<string>? Symbols) Split(IEnumerable<Dim> dims)
    {
        long known = 1;
        var symbols = new List<string>();
        foreach (var d in dims)
        {
            if (d.Value is { } v)
            {
                known = checked(known * v);
            }
            else if (d.Symbol is { } s)
            {
                symbols.Add(s);
            }
            else
            {
                return (known, null);
            }
        }

        return (known, symbols);
    }

    private static void Flatten(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var axisAttr = c.Node.GetInt("axis", 1);
        var axis = axisAttr == x.Rank ? x.Rank : c.Axis(axisAttr, x.Rank);
        c.Set(0, c.Type(0), TensorShape.Of(DimMath.Product(x.Take(axis)), DimMath.Product(x.Skip(axis))));
    }

    private static void Transpose(NodeContext c)
    {
        if (c.Shape(0) is not { } x)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var perm = c.Node.GetInts("perm") ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != x.Rank)
        {
            throw c.Fail($"perm [{string.Join(",", perm)}] is not a permutation of rank {x.Rank}");
        }

        c.Set(0, c.Type(0), new TensorShape(perm.Select(p => x[c.Axis(p, x.Rank)])));
    }

    private static void Squeeze(NodeContext c)
    {
        if (c.Shape(0) is not { } x || AxesUnknown(c))
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        HashSet<int> squeezed;
        if (Axes(c) is { } axes)
        {
            squeezed = axes.Select(a => c.Axis(a, x.Rank)).ToHashSet();
            foreach (var a in squeezed.Where(a => x[a].IsKnown && x[a].Value != 1))
            {
                throw c.Fail($"axis {a} of {x} is not 1");
            }
        }
        else if (x.All(d => d.IsKnown))
        {
            squeezed = Enumerable.Range(0, x.Rank).Where(i => x[i].Value == 1).ToHashSet();
        }
        else
        {
            c.Set(0, c.Type(0), null); // which symbolic dims are 1 is only known at run time
            return;
        }

        c.Set(0, c.Type(0), new TensorShape(x.Where((_, i) => !squeezed.Contains(i))));
    }

    private static void Unsqueeze(NodeContext c)
    {
        if (c.Shape(0) is not { } x || Axes(c) is not { } axes)
        {
            c.Set(0, c.Type(0), null);
            return;
        }

        var rank = x.Rank + axes.Length;
        var inserted = axes.Select(a => c.Axis(a, rank)).ToHashSet();
        if (inserted.Count != axes.Length)
        {
            throw c.Fail("axes repeat");
        }

        var dims = new Dim[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = inserted.Contains(i) ? Dim.Of(1) : x[next++];
        }

        c.Set(0, c.Type(0), new TensorShape(dims));
    }
}
