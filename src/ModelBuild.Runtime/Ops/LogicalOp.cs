using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX And, Or, Xor: two bool tensors with numpy broadcasting, a bool result.</summary>
/// <param name="A">Left operand (bool).</param>
/// <param name="B">Right operand (bool).</param>
/// <param name="Y">Output (bool), the broadcast shape.</param>
/// <param name="Function">The function.</param>
public sealed record LogicalOp(int A, int B, int Y, LogicalFunction Function) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (flow.IsBatched(A) || flow.IsBatched(B)) && flow.IsElementwiseOperand(A, flow.Rank(Y)) && flow.IsElementwiseOperand(B, flow.Rank(Y)) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var shapes = BroadcastPair.Of(this, c.Shape(A), c.Shape(B), stackalloc int[BroadcastPair.ScratchLength]);
        shapes.Run(c.Bools(A), c.Bools(B), c.OutputBools(Y, shapes.Output), new BoolFunction(Function, equal: false));
    }
}
