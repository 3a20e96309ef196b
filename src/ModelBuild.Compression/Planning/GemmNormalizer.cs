using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Folds Gemm's <c>alpha</c> and <c>beta</c> into its constant operands so that every Gemm the planner sees is
/// <c>A·Bᵀ + C</c> or <c>A·B + C</c>, and quantisation sees the weights the model really multiplies by.
/// </summary>
internal static class GemmNormalizer
{
    public static void Run(ModelGraph graph)
    {
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Gemm" && n.IsDefaultDomain))
        {
            Fold(graph, node, "alpha", 1);
            Fold(graph, node, "beta", 2);
        }
    }

    private static void Fold(ModelGraph graph, Node node, string attribute, int input)
    {
        var factor = node.GetFloat(attribute, 1f);
        if (factor == 1f || node.InputOrNull(input) is not { } name || graph.GetInitializer(name) is not { DataType: DataType.Float } tensor
            || graph.Consumers(name).Count != 1)
        {
            return;
        }

        var values = tensor.ToFloats();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(values[i] * (double)factor);
        }

        graph.SetInitializer(Tensor.FromFloats(name, tensor.Dims, values));
        node.SetAttribute(NodeAttribute.Of(attribute, 1f));
    }
}
