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

        var y = c.OutputBools(Y, ys);
        switch (c.TypeOf(A))
        {
            case TensorType.Float32:
                Broadcasting.Run(c.Floats(A), pa, c.Floats(B), pb, y, ys, new NumberComparison<float>(Function));
                break;
            case TensorType.Int64:
                Broadcasting.Run(c.Longs(A), pa, c.Longs(B), pb, y, ys, new NumberComparison<long>(Function));
                break;
            default:
                if (Function != CompareFunction.Equal)
                {
                    throw Fail($"{Function} of bool tensors.");
                }

                Broadcasting.Run(c.Bools(A), pa, c.Bools(B), pb, y, ys, new BoolFunction(default, equal: true));
                break;
        }
    }
}
