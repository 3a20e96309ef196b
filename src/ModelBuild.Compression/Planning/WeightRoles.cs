using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning;

/// <summary>A weight that multiplies activations, and the axis of its output units (the per-channel axis).</summary>
public sealed record MatrixWeight(string Name, int OutputAxis);

/// <summary>Finds the weights that quantisation applies to: Conv filters and the constant operand of Gemm/MatMul.</summary>
public static class WeightRoles
{
    public static IReadOnlyList<MatrixWeight> FindMatrixWeights(ModelGraph graph)
    {
        var axes = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => n.IsDefaultDomain))
        {
            int? axis = node.OpType switch
            {
                "Conv" => 0,
                "Gemm" => node.GetInt("transB", 0) == 1 ? 0 : 1,
                "MatMul" => 1,
                _ => null,
            };
            if (axis is null || node.InputOrNull(1) is not { } name || graph.GetInitializer(name) is not { DataType: DataType.Float } t
                || (node.OpType != "Conv" && t.Dims.Length != 2))
            {
                continue;
            }

            // A tensor shared by layers that disagree on its output axis stays float rather than be quantised wrongly.
            axes[name] = axes.TryGetValue(name, out var seen) && seen != axis ? null : axis;
        }

        foreach (var (name, _) in axes.ToList())
        {
            var otherUses = graph.Consumers(name).Any(n => n.Inputs.IndexOf(name) != 1 || n.OpType is not ("Conv" or "Gemm" or "MatMul"));
            if (otherUses || graph.IsGraphOutput(name))
            {
                axes[name] = null;
            }
        }

        return axes.Where(kv => kv.Value is not null).Select(kv => new MatrixWeight(kv.Key, kv.Value!.Value)).ToList();
    }
}
