using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX HannWindow / HammingWindow / BlackmanWindow (opset 17), all generalized cosine windows:
/// <c>y[n] = A0 − A1·cos(2πn/N) + A2·cos(4πn/N)</c> for <c>n &lt; size</c>, where <c>N = size</c> (periodic) or
/// <c>size − 1</c> (symmetric). Hann is (0.5, 0.5, 0), Hamming (25/46, 21/46, 0), Blackman (0.42, 0.5, 0.08)
/// (onnx Operators.md function bodies). Computed in float64, output float32. A symmetric window of size 1 is
/// <c>[1]</c> (numpy.hanning's convention, where the formula divides by 0).
/// </summary>
/// <param name="Size">Scalar int64 window length (constant or computed).</param>
/// <param name="Y">Output, float32 <c>[size]</c>.</param>
/// <param name="A0">Constant term.</param>
/// <param name="A1">Coefficient of <c>−cos(2πn/N)</c>.</param>
/// <param name="A2">Coefficient of <c>cos(4πn/N)</c>.</param>
/// <param name="Periodic">Whether <c>N = size</c> (else <c>size − 1</c>).</param>
public sealed record CosineWindowOp(int Size, int Y, float A0, float A1, float A2, bool Periodic) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        if (c.Count(Size) != 1)
        {
            throw Fail($"size must be a scalar, got {ShapeMath.Format(c.Shape(Size))}.");
        }

        var size = c.Longs(Size)[0];
        if (size < 0 || size > int.MaxValue)
        {
            throw Fail($"size {size} is out of range.");
        }

        var y = c.OutputFloats(Y, [(int)size]);
        var period = Periodic ? size : size - 1;
        if (period == 0)
        {
            Simd.Fill(y, 1f);
            return;
        }

        var step = 2 * Math.PI / period;
        for (var n = 0; n < y.Length; n++)
        {
            var x = step * n;
            y[n] = (float)(A0 - (A1 * Math.Cos(x)) + (A2 * Math.Cos(2 * x)));
        }
    }
}
