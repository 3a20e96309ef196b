using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Reduce* → <see cref="ReduceOp"/>. The axes are an attribute until ReduceSum-13 / the others' opset 18 and an
/// optional second input after; that input must be a constant (a computed one is refused). float32, and int64 for
/// the functions whose result is an integer (shape arithmetic such as ReduceProd of a Shape).
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
        var function = s_functions[node.OpType];
        var type = c.TensorTypeOf(node.Inputs[0]);
        if (type == TensorType.Bool || (type == TensorType.Int64 && function is not (ReduceFunction.Sum or ReduceFunction.Prod
            or ReduceFunction.Max or ReduceFunction.Min or ReduceFunction.L1 or ReduceFunction.SumSquare)))
        {
            throw new UnsupportedNodeException($"{node.OpType} of a {type} tensor (float32 is reduced by every function, int64 by Sum, Prod, Max, Min, L1 and SumSquare)");
        }

        // An axes input wins; models of the attribute opsets simply have none.
        var axes = node.InputOrNull(1) is null ? node.GetInts("axes") ?? []
            : c.ConstantInts(node, 1) ?? throw new UnsupportedNodeException("the axes input is computed, not constant");
        var x = c.Read(node.Inputs[0]);
        c.Emit(new ReduceOp(x, c.Write(node.Outputs[0]), function, axes.Select(a => checked((int)a)).ToArray(),
            node.GetInt("keepdims", 1) != 0, node.GetInt("noop_with_empty_axes", 0) != 0));
    }
}
