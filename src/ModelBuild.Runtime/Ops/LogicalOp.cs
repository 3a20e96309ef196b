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
        Span<int> pa = stackalloc int[rank];
        Span<int> pb = stackalloc int[rank];
        if (!Broadcasting.TryShapes(sa, sb, ys, pa, pb))
        {
            throw Fail($"the shapes {ShapeMath.Format(sa)} and {ShapeMath.Format(sb)} do not broadcast.");
        }

        Broadcasting.Run(c.Bools(A), pa, c.Bools(B), pb, c.OutputBools(Y, ys), ys, new BoolFunction(Function, equal: false));
    }
}
