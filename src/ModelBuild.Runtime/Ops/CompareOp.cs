using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Equal, Less, Greater, LessOrEqual, GreaterOrEqual with numpy broadcasting: two float32 or two int64 operands
/// (Equal also two bools), a bool result. Float comparisons are IEEE: anything with NaN is false.
/// </summary>
/// <param name="A">Left operand.</param>
/// <param name="B">Right operand, the same element type.</param>
/// <param name="Y">Output (bool), the broadcast shape.</param>
/// <param name="Function">The comparison.</param>
public sealed record CompareOp(int A, int B, int Y, CompareFunction Function) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (flow.IsBatched(A) || flow.IsBatched(B)) && flow.IsElementwiseOperand(A, flow.Rank(Y)) && flow.IsElementwiseOperand(B, flow.Rank(Y)) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var shapes = BroadcastPair.Of(this, c.Shape(A), c.Shape(B), stackalloc int[BroadcastPair.ScratchLength]);
        var y = c.OutputBools(Y, shapes.Output);
        switch (c.TypeOf(A))
        {
            case TensorType.Float32:
                shapes.Run(c.Floats(A), c.Floats(B), y, new NumberComparison<float>(Function));
                break;
            case TensorType.Int64:
                shapes.Run(c.Longs(A), c.Longs(B), y, new NumberComparison<long>(Function));
                break;
            default:
                if (Function != CompareFunction.Equal)
                {
                    throw Fail($"{Function} of bool tensors.");
                }

                shapes.Run(c.Bools(A), c.Bools(B), y, new BoolFunction(default, equal: true));
                break;
        }
    }
}
