namespace ModelBuild.Graph;

/// <summary>One dimension of a shape: a known size, a named symbol (e.g. <c>batch</c>), or unknown.</summary>
public readonly record struct Dim
{
    private Dim(long? value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The size when it is known statically.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name (ONNX <c>dim_param</c>) when the size is only known at run time.</summary>
    public string? Symbol { get; }

    public bool IsKnown => Value.HasValue;

    public static Dim Unknown => default;

    public static Dim Of(long value) => value < 0
        ? throw new ArgumentOutOfRangeException(nameof(value), value, "A dimension cannot be negative.")
        : new Dim(value, null);

    public static Dim Sym(string symbol) => new(null, symbol);

    public static implicit operator Dim(long value) => Of(value);

    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
