using ModelBuild.Graph;

namespace ModelBuild.Generator.Tests.Models;

/// <summary>Builds small ONNX graphs with the project's own IR (as ModelBuild.Graph.Tests does), seeded weights.</summary>
internal sealed class OnnxGraph
{
    private readonly Random _random;

    public OnnxGraph(int seed)
    {
        _random = new Random(seed);
        Graph.Opsets.Add(new OpsetImport("", 13));
    }

    public ModelGraph Graph { get; } = new() { Name = "test", IrVersion = 8, ProducerName = "ModelBuild.Generator.Tests" };

    public OnnxGraph Input(string name, params Dim[] dims)
    {
        Graph.Inputs.Add(new ValueInfo(name, DataType.Float, new TensorShape(dims)));
        return this;
    }

    /// <summary>A float initializer, uniform in [-1, 1) from the seeded generator.</summary>
    public OnnxGraph Weight(string name, params long[] dims)
    {
        var count = dims.Aggregate(1L, (a, d) => a * d);
        var values = Enumerable.Range(0, (int)count).Select(_ => (float)((_random.NextDouble() * 2) - 1)).ToArray();
        Graph.SetInitializer(Tensor.FromFloats(name, dims, values));
        return this;
    }

    public OnnxGraph Floats(string name, long[] dims, params float[] values)
    {
        Graph.SetInitializer(Tensor.FromFloats(name, dims, values));
        return this;
    }

    public OnnxGraph Ints(string name, params long[] values)
    {
        Graph.SetInitializer(Tensor.FromInt64s(name, [values.Length], values));
        return this;
    }

    /// <summary>A node named after its output.</summary>
    public OnnxGraph Node(string op, string[] inputs, string output, params NodeAttribute[] attributes)
    {
        var node = new Node(op, inputs, [output], output + "_node");
        node.Attributes.AddRange(attributes);
        Graph.Nodes.Add(node);
        return this;
    }

    public OnnxGraph Output(string name)
    {
        Graph.Outputs.Add(new ValueInfo(name, DataType.Float, null));
        return this;
    }

    public static NodeAttribute A(string name, long value) => NodeAttribute.Of(name, value);

    public static NodeAttribute A(string name, float value) => NodeAttribute.Of(name, value);

    public static NodeAttribute A(string name, params long[] values) => NodeAttribute.Of(name, values);
}
