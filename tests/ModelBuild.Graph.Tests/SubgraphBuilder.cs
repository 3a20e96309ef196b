using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using ElementType = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Graph.Tests;

/// <summary>
/// Builds an ONNX subgraph by hand (a Loop or Scan body, an If branch) as the <see cref="GraphProto"/> a graph
/// attribute holds, and attaches it to a node.
/// </summary>
internal sealed class SubgraphBuilder(string name)
{
    public GraphProto Graph { get; } = new() { Name = name };

    /// <summary>An input; <paramref name="scalar"/> declares an empty shape (ORT wants a Loop's iteration number and condition so).</summary>
    public SubgraphBuilder Input(string name, ElementType type = ElementType.Float, bool scalar = false)
    {
        var info = Info(name, type);
        if (scalar)
        {
            info.Type.TensorType.Shape = new TensorShapeProto();
        }

        Graph.Input.Add(info);
        return this;
    }

    public SubgraphBuilder Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return this;
    }

    /// <summary>A Constant node holding <paramref name="value"/>.</summary>
    public SubgraphBuilder Constant(string output, TensorProto value) =>
        Node("Constant", [], output, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });

    public SubgraphBuilder Output(string name, ElementType type = ElementType.Float)
    {
        Graph.Output.Add(Info(name, type));
        return this;
    }

    /// <summary>The subgraph as the node attribute <paramref name="attributeName"/> (e.g. <c>body</c>, <c>then_branch</c>).</summary>
    public NodeAttribute ToAttribute(string attributeName) =>
        NodeAttribute.Opaque(attributeName, new AttributeProto { Name = attributeName, Type = AttributeProto.Types.AttributeType.Graph, G = Graph }.ToByteArray());

    /// <summary>An int attribute of a subgraph node.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static ValueInfoProto Info(string name, ElementType type) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } },
    };
}
