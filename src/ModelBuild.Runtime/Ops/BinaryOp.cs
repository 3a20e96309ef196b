using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// An element-wise binary function with numpy broadcasting (ONNX Add, Sub, Mul, Div, Max, Min, Pow;
/// "Broadcasting in ONNX"). Float tensors use the SIMD kernels; int64 tensors (shape arithmetic) a scalar loop
/// with C# integer semantics (division truncates toward zero, as ONNX Runtime does).
/// </summary>
/// <param name="A">Left operand.</param>
/// <param name="B">Right operand.</param>
/// <param name="Y">Output, the broadcast shape.</param>
/// <param name="Function">The function.</param>
public sealed record BinaryOp(int A, int B, int Y, BinaryFunction Function) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => (flow.IsBatched(A) || flow.IsBatched(B)) && flow.IsElementwiseOperand(A, flow.Rank(Y)) && flow.IsElementwiseOperand(B, flow.Rank(Y)) && flow.Batched(Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var shapes = BroadcastPair.Of(this, c.Shape(A), c.Shape(B), stackalloc int[BroadcastPair.ScratchLength]);
        if (c.TypeOf(Y) == TensorType.Float32)
        {
            var y = c.OutputFloats(Y, shapes.Output);
            if (y.Length > 0)
            {
                Kernels.Binary(Function, c.Floats(A), shapes.PadA, true, c.Floats(B), shapes.PadB, true, y, shapes.Output, 1);
            }

            return;
        }

        Broadcasting.Run(c.Longs(A), shapes.PadA, c.Longs(B), shapes.PadB, c.OutputLongs(Y, shapes.Output), shapes.Output, Function, this);
    }
}
