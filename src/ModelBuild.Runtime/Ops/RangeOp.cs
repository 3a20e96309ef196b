using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX Range (opset 11), float32 or int64: <c>y[i] = start + i·delta</c> for
/// <c>i &lt; max(ceil((limit − start) / delta), 0)</c>. The three scalars may be constants or computed.
/// </summary>
/// <param name="Start">Scalar start.</param>
/// <param name="Limit">Scalar limit (exclusive).</param>
/// <param name="Delta">Scalar step (non-zero).</param>
/// <param name="Y">Output, 1-D.</param>
public sealed record RangeOp(int Start, int Limit, int Delta, int Y) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        foreach (var v in (ReadOnlySpan<int>)[Start, Limit, Delta])
        {
            if (c.Count(v) != 1)
            {
                throw Fail($"start, limit and delta must be scalars, got {ShapeMath.Format(c.Shape(v))}.");
            }
        }

        if (c.TypeOf(Y) == TensorType.Int64)
        {
            var start = c.Longs(Start)[0];
            var limit = c.Longs(Limit)[0];
            var delta = c.Longs(Delta)[0];
            if (delta == 0)
            {
                throw Fail("delta is 0.");
            }

            // ceil((limit − start) / delta) in integers, rounding toward +∞ for either sign of delta.
            var span = (Int128)limit - start;
            var count = (span / delta) + (span % delta != 0 && (span > 0) == (delta > 0) ? 1 : 0);
            var y = c.OutputLongs(Y, [Length(count)]);
            for (var i = 0; i < y.Length; i++)
            {
                y[i] = unchecked(start + (i * delta));
            }

            return;
        }

        var fs = c.Floats(Start)[0];
        var fl = c.Floats(Limit)[0];
        var fd = c.Floats(Delta)[0];
        if (fd == 0 || !float.IsFinite(fs) || !float.IsFinite(fl) || !float.IsFinite(fd))
        {
            throw Fail($"start {fs}, limit {fl} and delta {fd} do not give a finite range.");
        }

        var yf = c.OutputFloats(Y, [Length(Math.Ceiling(((double)fl - fs) / fd))]);
        for (var i = 0; i < yf.Length; i++)
        {
            yf[i] = (float)(fs + ((double)i * fd));
        }
    }

    private int Length(Int128 count) => count <= 0 ? 0 : count <= int.MaxValue ? (int)count : throw Fail($"the range has {count} elements.");

    private int Length(double count) => count <= 0 ? 0 : count <= int.MaxValue ? (int)count : throw Fail($"the range has {count} elements.");
}
