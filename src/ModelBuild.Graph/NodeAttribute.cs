namespace ModelBuild.Graph;

public enum AttributeKind
{
    Float,
    Int,
    String,
    Tensor,
    Floats,
    Ints,
    Strings,

    /// <summary>A graph, sparse tensor or type attribute kept as its serialized protobuf bytes and written back unchanged.</summary>
    Opaque,
}

/// <summary>A node attribute. Only the member that matches <see cref="Kind"/> is meaningful.</summary>
public sealed class NodeAttribute
{
    private NodeAttribute(string name, AttributeKind kind) => (Name, Kind) = (name, kind);

    public string Name { get; }

    public AttributeKind Kind { get; }

    public float Float { get; private init; }

    public long Int { get; private init; }

    public string String { get; private init; } = "";

    public Tensor? Tensor { get; private init; }

    public float[] Floats { get; private init; } = Array.Empty<float>();

    public long[] Ints { get; private init; } = Array.Empty<long>();

    public string[] Strings { get; private init; } = Array.Empty<string>();

    /// <summary>The serialized ONNX <c>AttributeProto</c> for <see cref="AttributeKind.Opaque"/>.</summary>
    public byte[] OpaqueProto { get; private init; } = Array.Empty<byte>();

    public static NodeAttribute Of(string name, float value) => new(name, AttributeKind.Float) { Float = value };

    public static NodeAttribute Of(string name, long value) => new(name, AttributeKind.Int) { Int = value };

    public static NodeAttribute Of(string name, string value) => new(name, AttributeKind.String) { String = value };

    public static NodeAttribute Of(string name, Tensor value) => new(name, AttributeKind.Tensor) { Tensor = value };

    public static NodeAttribute Of(string name, float[] values) => new(name, AttributeKind.Floats) { Floats = values };

    public static NodeAttribute Of(string name, long[] values) => new(name, AttributeKind.Ints) { Ints = values };

    public static NodeAttribute Of(string name, string[] values) => new(name, AttributeKind.Strings) { Strings = values };

    public static NodeAttribute Opaque(string name, byte[] attributeProto) => new(name, AttributeKind.Opaque) { OpaqueProto = attributeProto };

    public override string ToString() => Kind switch
    {
        AttributeKind.Float => $"{Name}={Float}",
        AttributeKind.Int => $"{Name}={Int}",
        AttributeKind.String => $"{Name}=\"{String}\"",
        AttributeKind.Ints => $"{Name}=[{string.Join(",", Ints)}]",
        AttributeKind.Floats => $"{Name}=[{string.Join(",", Floats)}]",
        _ => $"{Name}:{Kind}",
    };
}
