namespace ModelBuild.Graph.Inference;

/// <summary>
/// One element of an int64 shape tensor as far as it is known before run time: a constant, a symbolic
/// dimension (e.g. <c>batch_size</c>), and/or the dimension of a value it was read from by a <c>Shape</c> node.
/// </summary>
/// <param name="Value">The element when it is a known constant.</param>
/// <param name="Symbol">The symbolic dimension name when the element is a symbolic dimension.</param>
/// <param name="SourceValue">The value whose dimension this is, when it came from a <c>Shape</c> node.</param>
/// <param name="SourceAxis">The axis of <paramref name="SourceValue"/>.</param>
public readonly record struct ShapeElement(long? Value, string? Symbol = null, string? SourceValue = null, int SourceAxis = -1)
{
    /// <summary>An element nothing is known about.</summary>
    public static ShapeElement Unknown => default;

    public static ShapeElement Of(long value) => new(value);

    /// <summary>The element of <c>Shape(<paramref name="value"/>)[<paramref name="axis"/>]</c>.</summary>
    public static ShapeElement FromDim(Dim dim, string value, int axis) => new(dim.Value, dim.Symbol, value, axis);

    /// <summary>As a dimension: known size, symbol or unknown (negative constants become unknown).</summary>
    public Dim ToDim() => Value is { } v ? (v >= 0 ? Dim.Of(v) : Dim.Unknown) : Symbol is { } s ? Dim.Sym(s) : Dim.Unknown;

    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}

/// <summary>The value of a small int64 tensor (a scalar or a vector) computed from shapes and constants.</summary>
/// <param name="IsScalar">True for a rank-0 tensor (then <paramref name="Elements"/> has one entry).</param>
/// <param name="Elements">The elements in order.</param>
public sealed record ShapeTensorValue(bool IsScalar, IReadOnlyList<ShapeElement> Elements)
{
    /// <summary>True when every element is a known constant.</summary>
    public bool IsConstant => Elements.All(e => e.Value.HasValue);

    /// <summary>The constants; throws unless <see cref="IsConstant"/>.</summary>
    public long[] ToConstants() => Elements.Select(e => e.Value ?? throw new InvalidOperationException("Not a constant.")).ToArray();
}
