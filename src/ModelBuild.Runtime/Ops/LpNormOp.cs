using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX LpNormalization: <c>y = x / ‖x‖ₚ</c> along <paramref name="Axis"/>, p = 1 (Σ|x|) or 2 (√Σx²). A
/// vector whose norm is 0 is all zeros and stays 0 (as ONNX Runtime does; 0/0 would give NaN).
/// </summary>
/// <param name="X">Input, rank ≥ 1.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Axis">The axis (negative counts from the end).</param>
/// <param name="P">1 or 2.</param>
public sealed record LpNormOp(int X, int Y, int Axis, int P) : Op
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => SampleFlow.IsInnerAxis(Axis, flow.Rank(X)) && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        if (!ShapeMath.TryAxis(Axis, xs.Length, out var axis))
        {
            throw Fail($"axis {Axis} is outside the input {ShapeMath.Format(xs)}.");
        }

        if (P is not (1 or 2))
        {
            throw Fail($"p = {P}; only 1 and 2 are defined.");
        }

        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        if (y.Length == 0)
        {
            return;
        }

        var x = c.Floats(X);
        int outer = ShapeMath.Product(xs[..axis]), n = xs[axis], inner = ShapeMath.Product(xs[(axis + 1)..]);
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = (o * n * inner) + i;
                double norm = 0;
                for (var a = 0; a < n; a++)
                {
                    double v = x[start + (a * inner)];
                    norm += P == 1 ? Math.Abs(v) : v * v;
                }

                var scale = norm == 0 ? 0f : (float)(1 / (P == 1 ? norm : Math.Sqrt(norm)));
                for (var a = 0; a < n; a++)
                {
                    y[start + (a * inner)] = x[start + (a * inner)] * scale;
                }
            }
        }
    }
}
