namespace ModelBuild.Graph.Inference;

/// <summary>Arithmetic on possibly symbolic dimensions.</summary>
internal static class DimMath
{
    /// <summary>The numpy broadcast of two dimensions, or null when they cannot broadcast.</summary>
    public static Dim? Broadcast(Dim a, Dim b)
    {
        if (a.Value == 1)
        {
            return b;
        }

        if (b.Value == 1)
        {
            return a;
        }

        if (a.IsKnown && b.IsKnown)
        {
            return a.Value == b.Value ? a : null;
        }

        // A known size other than 1 decides; a symbol is assumed to match it (ONNX Runtime checks at run time).
        if (a.IsKnown)
        {
            return a;
        }

        if (b.IsKnown)
        {
            return b;
        }

        return a.Symbol is not null && a.Symbol == b.Symbol ? a : Dim.Unknown;
    }

    /// <summary>Two dimensions that must be equal: the better-known one, or null when they contradict.</summary>
    public static Dim? Unify(Dim a, Dim b)
    {
        if (a.IsKnown && b.IsKnown)
        {
            return a.Value == b.Value ? a : null;
        }

        return a.IsKnown ? a : b.IsKnown ? b : a.Symbol is not null ? a : b;
    }

    /// <summary>The product of dimensions: known when all are, the lone symbol when the rest are 1, else unknown.</summary>
    public static Dim Product(IEnumerable<Dim> dims)
    {
        long product = 1;
        Dim? symbolic = null;
        foreach (var d in dims)
        {
            if (d.Value is { } v)
            {
                product = checked(product * v);
            }
            else if (symbolic is null && d.Symbol is not null)
            {
                symbolic = d;
            }
            else
            {
                return product == 0 ? Dim.Of(0) : Dim.Unknown;
            }
        }

        if (symbolic is { } s)
        {
            return product == 1 ? s : product == 0 ? Dim.Of(0) : Dim.Unknown;
        }

        return Dim.Of(product);
    }

    /// <summary>A non-negative axis for a tensor of rank <paramref name="rank"/>, or null when out of range.</summary>
    public static int? Axis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? (int)a : null;
    }

    /// <summary><c>floor(a / b)</c> for a positive divisor.</summary>
    public static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary><c>ceil(a / b)</c> for a positive divisor.</summary>
    public static long CeilDiv(long a, long b) => -FloorDiv(-a, b);
}
