using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Reduce* → <see cref="ReduceOp"/>. The axes are an attribute until ReduceSum-13 / the others' opset 18 and an
/// optional second input after; that input must be a constant (a computed one is refused). float32 only.
/// </summary>
internal sealed class ReductionLowering : INodeLowering
{
    private static readonly Dictionary<string, ReduceFunction> s_functions = new(StringComparer.Ordinal)
    {
        ["ReduceSum"] = ReduceFunction.Sum,
        ["ReduceMean"] = ReduceFunction.Mean,
        ["ReduceMax"] = ReduceFunction.Max,
        ["ReduceMin"] = ReduceFunction.Min,
        ["ReduceProd"] = ReduceFunction.Prod,
        ["ReduceL1"] = ReduceFunction.L1,
        ["ReduceL2"] = ReduceFunction.L2,
        ["ReduceLogSum"] = ReduceFunction.LogSum,
        ["ReduceLogSumExp"] = ReduceFunction.LogSumExp,
        ["ReduceSumSquare"] = ReduceFunction.SumSquare,
    };

    public IReadOnlyList<string> OpTypes { get; } = [.. s_functions.Keys];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException($"{node.OpType} of a {c.TensorTypeOf(node.Inputs[0])} tensor (only float32 is reduced)");
        }

        // An axes input wins; models of the attribute opsets simply have none.
        var axes = node.InputOrNull(1) is null ? node.GetInts("axes") ?? []
            : c.ConstantInts(node, 1) ?? throw new UnsupportedNodeException("the axes input is computed, not constant");
        var x = c.Read(node.Inputs[0]);
        c.Emit(new ReduceOp(x, c.Write(node.Outputs[0]), s_functions[node.OpType], axes.Select(a => checked((int)a)).ToArray(),
            node.GetInt("keepdims", 1) != 0, node.GetInt("noop_with_empty_axes", 0) != 0));
    }
}
