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
    public override void Execute(OpContext c)
    {
        var sa = c.Shape(A);
        var sb = c.Shape(B);
        var rank = Math.Max(sa.Length, sb.Length);
        if (rank > ShapeMath.MaxRank)
        {
            throw Fail($"rank {rank} exceeds {ShapeMath.MaxRank}.");
        }

        Span<int> ys = stackalloc int[rank];
        if (!ShapeMath.TryBroadcast(sa, sb, ys))
        {
            throw Fail($"the shapes {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} do not broadcast.");
        }

        Span<int> pa = stackalloc int[rank];
        Span<int> pb = stackalloc int[rank];
        ShapeMath.PadLeft(sa, pa);
        ShapeMath.PadLeft(sb, pb);
        if (c.TypeOf(Y) == TensorType.Float32)
        {
            var y = c.OutputFloats(Y, ys);
            if (y.Length > 0)
            {
                Kernels.Binary(Function, c.Floats(A), pa, true, c.Floats(B), pb, true, y, ys, 1);
            }

            return;
        }

        var yl = c.OutputLongs(Y, ys);
        Broadcasting.Run(c.Longs(A), pa, c.Longs(B), pb, yl, ys, Function, this);
    }
}
