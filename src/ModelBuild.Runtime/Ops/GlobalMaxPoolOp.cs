using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>ONNX GlobalMaxPool: the maximum over all spatial positions, <c>[N, C, D1…] → [N, C, 1…]</c> (NaN propagates).</summary>
/// <param name="X">Input, rank ≥ 2.</param>
/// <param name="Y">Output, same rank, spatial dims 1.</param>
public sealed record GlobalMaxPoolOp(int X, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (xs.Length is < 2 or > ShapeMath.MaxRank)
        {
            throw Fail($"expects [N, C, …], got {ShapeMath.Format(xs)}.");
        }

        Span<int> ys = stackalloc int[xs.Length];
        ys.Fill(1);
        ys[0] = xs[0];
        ys[1] = xs[1];
        var hw = ShapeMath.Product(xs[2..]);
        var y = c.OutputFloats(Y, ys);
        if (hw == 0)
        {
            if (y.Length > 0)
            {
                throw Fail($"the input {ShapeMath.Format(xs)} has no spatial positions to take a maximum of.");
            }

            return;
        }

        Kernels.GlobalMaxPool(Simd.Best, c.Floats(X), y, xs[0] * xs[1], hw);
    }
}
