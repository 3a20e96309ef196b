namespace ModelBuild.Graph.Tests;

/// <summary>Builds small graphs by hand for operator tests.</summary>
internal sealed class GraphBuilder
{
    private readonly Random _random = new(1234);

    public GraphBuilder(long opset = 13)
    {
        Graph.Opsets.Add(new OpsetImport("", opset));
    }

    public ModelGraph Graph { get; } = new() { Name = "test", IrVersion = 8, ProducerName = "ModelBuild.Graph.Tests" };

    public GraphBuilder Input(string name, params Dim[] dims) => Input(name, DataType.Float, dims);

    public GraphBuilder Input(string name, DataType type, params Dim[] dims)
    {
        Graph.Inputs.Add(new ValueInfo(name, type, new TensorShape(dims)));
        return this;
    }

    /// <summary>A float weight with random values in [-1, 1) unless given.</summary>
    public GraphBuilder Weight(string name, long[] dims, float[]? values = null)
    {
        var count = dims.Aggregate(1L, (a, d) => a * d);
        values ??= Enumerable.Range(0, (int)count).Select(_ => (float)((_random.NextDouble() * 2) - 1)).ToArray();
        Graph.SetInitializer(Tensor.FromFloats(name, dims, values));
        return this;
    }

    /// <summary>A 1-D int64 weight.</summary>
    public GraphBuilder Ints(string name, params long[] values)
    {
        Graph.SetInitializer(Tensor.FromInt64s(name, [values.Length], values));
        return this;
    }

    public GraphBuilder Scalar(string name, long value)
    {
        Graph.SetInitializer(Tensor.FromInt64s(name, [], [value]));
        return this;
    }

    /// <summary>Adds a node named after its first output.</summary>
    public GraphBuilder Node(string op, string[] inputs, string output, params NodeAttribute[] attributes) =>
        Node(op, inputs, [output], attributes);

    public GraphBuilder Node(string op, string[] inputs, string[] outputs, params NodeAttribute[] attributes)
    {
        var node = new Node(op, inputs, outputs, outputs[0] + "_node");
        node.Attributes.AddRange(attributes);
        Graph.Nodes.Add(node);
        return this;
    }

    public GraphBuilder Output(string name, DataType type = DataType.Float)
    {
        Graph.Outputs.Add(new ValueInfo(name, type, null));
        return this;
    }

    public static NodeAttribute A(string name, long value) => NodeAttribute.Of(name, value);

    public static NodeAttribute A(string name, float value) => NodeAttribute.Of(name, value);

    public static NodeAttribute A(string name, string value) => NodeAttribute.Of(name, value);

    public static NodeAttribute A(string name, params long[] values) => NodeAttribute.Of(name, values);
}
