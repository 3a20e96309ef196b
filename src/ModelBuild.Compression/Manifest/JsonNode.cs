namespace ModelBuild.Compression.Manifest;

/// <summary>A JSON value with the 1-based line and column where it starts, so manifest errors can point at it.</summary>
internal abstract record JsonNode(int Line, int Column)
{
    /// <summary>The JSON type name used in error messages ("a string", "an object", ...).</summary>
    public abstract string Kind { get; }
}

internal sealed record JsonString(string Value, int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "a string";
}

/// <summary>A number; <see cref="Text"/> is the literal as written (so "1.0" and "1" can be told apart).</summary>
internal sealed record JsonNumber(double Value, string Text, int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "a number";
}

internal sealed record JsonBool(bool Value, int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "a boolean";
}

internal sealed record JsonNull(int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "null";
}

internal sealed record JsonArray(IReadOnlyList<JsonNode> Items, int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "a list";
}

/// <summary>One <c>"key": value</c> pair; the position is the key's opening quote.</summary>
internal sealed record JsonProperty(string Key, int Line, int Column, JsonNode Value);

/// <summary>An object with its members in file order (duplicates are kept; the validator rejects them).</summary>
internal sealed record JsonObject(IReadOnlyList<JsonProperty> Properties, int Line, int Column) : JsonNode(Line, Column)
{
    public override string Kind => "an object";
}
