using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// <see cref="DenseOp"/> with 8-bit activations (the manifest's <c>quantize-activations</c> pass): the input is
/// quantised to uint8 per tensor, multiplied by the int8 weights in exact int32 and scaled back, as ONNX
/// <c>DynamicQuantizeLinear</c> (or <c>QuantizeLinear</c>) + <c>MatMulInteger</c> + scale <c>Mul</c> compute it:
/// <c>y[…, n] = act(float(Σ_k (q[…, k] − zp)·W[n, k]) · (s·wScale[n]) + bias[n])</c>.
/// </summary>
/// <param name="X">Input value, shape <c>[…, K]</c> (rank ≥ 1).</param>
/// <param name="Y">Output value, shape <c>[…, N]</c>.</param>
/// <param name="Weight">Blob entry of W, an <c>N × K</c> int8 symmetric matrix with one scale per row.</param>
/// <param name="Bias">Blob entry of an N-float bias, or -1.</param>
/// <param name="Act">Fused activation.</param>
/// <param name="InputScale">The input's calibrated scale s, or 0: dynamic, (s, zp) computed from each call's input over the whole tensor.</param>
/// <param name="InputZeroPoint">The input's calibrated zero point zp (0–255); 0 when dynamic.</param>
public sealed record QuantizedDenseOp(int X, int Y, int Weight, int Bias, Activation Act, float InputScale, int InputZeroPoint) : Op
{
    /// <inheritdoc/>
    // Dynamic input quantization (InputScale 0) takes (s, zp) from the whole call's input; a 1-D input is one row.
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => InputScale != 0 && flow.Rank(X) >= 2 && flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var w = c.Matrix(Weight);
        if (xs.Length == 0 || xs[^1] != w.Cols)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must end in K = {w.Cols}, the weight's input size.");
        }

        if (w.Format != WeightFormat.Int8)
        {
            throw Fail($"the weight must be stored as int8 symmetric, not {w.Format}.");
        }

        Span<int> ys = stackalloc int[xs.Length];
        xs.CopyTo(ys);
        ys[^1] = w.Rows;
        var rows = ShapeMath.Product(xs[..^1]);
        var count = rows * w.Cols;
        var y = c.OutputFloats(Y, ys);
        var codes = MemoryMarshal.AsBytes(c.Scratch((count + 3) / 4))[..count];
        Kernels.QuantizedDense(c.Floats(X), w, c.BlobFloats(Bias), y, rows, Act, InputScale, InputZeroPoint, codes);
    }
}
