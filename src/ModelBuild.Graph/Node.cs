namespace ModelBuild.Graph;

/// <summary>
/// One operator application. Inputs and outputs are value names; an empty input name is an omitted
/// optional input, as in ONNX.
/// </summary>
public sealed class Node
{
    public Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "")
    {
        OpType = opType;
        Inputs = inputs.ToList();
        Outputs = outputs.ToList();
        Name = name;
        Domain = domain;
    }

    public string Name { get; set; }

    public string OpType { get; set; }

    /// <summary>Operator domain; empty (or <c>ai.onnx</c>) is the default ONNX domain.</summary>
    public string Domain { get; set; }

    public List<string> Inputs { get; }

    public List<string> Outputs { get; }

    /// <summary>Attributes in file order (kept so writing is deterministic and faithful).</summary>
    public List<NodeAttribute> Attributes { get; } = new();

    public string? DocString { get; set; }

    public bool IsDefaultDomain => Domain.Length == 0 || Domain == "ai.onnx";

    public NodeAttribute? Attribute(string name) => Attributes.Find(a => a.Name == name);

    public long GetInt(string name, long fallback) => Attribute(name) is { Kind: AttributeKind.Int } a ? a.Int : fallback;

    public float GetFloat(string name, float fallback) => Attribute(name) is { Kind: AttributeKind.Float } a ? a.Float : fallback;

    public string GetString(string name, string fallback) => Attribute(name) is { Kind: AttributeKind.String } a ? a.String : fallback;

    public long[]? GetInts(string name) => Attribute(name) is { Kind: AttributeKind.Ints } a ? a.Ints : null;

    public float[]? GetFloats(string name) => Attribute(name) is { Kind: AttributeKind.Floats } a ? a.Floats : null;

    /// <summary>Adds or replaces an attribute, keeping the position of a replaced one.</summary>
    public void SetAttribute(NodeAttribute attribute)
    {
        var index = Attributes.FindIndex(a => a.Name == attribute.Name);
        if (index >= 0)
        {
            Attributes[index] = attribute;
        }
        else
        {
            Attributes.Add(attribute);
        }
    }

    /// <summary>The input at <paramref name="index"/>, or null when absent or omitted.</summary>
    public string? InputOrNull(int index) => index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    public override string ToString() => $"{OpType} '{Name}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}
