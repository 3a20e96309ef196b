using ModelBuild.Graph;

namespace ModelBuild.Cli.Inspection;

/// <summary>
/// Counts a model's parameters. Every constant tensor is a parameter except int64 ones: ONNX uses int64 for
/// shapes, axes and indices (Reshape targets, Gather indices), which are plumbing rather than learned weights.
/// </summary>
public sealed record WeightSummary(long Parameters, long WeightBytes, int WeightTensors, long ShapeElements, int ShapeTensors)
{
    public static bool IsParameter(Tensor tensor) => tensor.DataType is not (DataType.Int64 or DataType.String);

    public static WeightSummary Of(ModelGraph graph) => Of(graph.Initializers);

    public static WeightSummary Of(IEnumerable<Tensor> tensors)
    {
        var all = tensors.ToList();
        var weights = all.Where(IsParameter).ToList();
        var shapes = all.Where(t => !IsParameter(t)).ToList();
        return new WeightSummary(
            weights.Sum(t => t.ElementCount),
            weights.Sum(t => t.RawData.LongLength),
            weights.Count,
            shapes.Sum(t => t.ElementCount),
            shapes.Count);
    }
}
