using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX DFT (opset 17 and 20): the discrete Fourier transform along one axis of <c>x[…, 1 or 2]</c> (last dim: real,
/// or real and imaginary parts). The signal is zero-padded or truncated to <c>dft_length</c>; the output is
/// <c>[…, bins, …, 2]</c> with <c>bins = dft_length</c>, or <c>⌊dft_length/2⌋ + 1</c> when onesided; the inverse
/// scales by <c>1/dft_length</c>. Computed in float64 (<see cref="Kernels.Dft"/>).
/// </summary>
/// <param name="X">Input, float32, rank ≥ 2, last dim 1 or 2.</param>
/// <param name="Length">Scalar int64 dft_length, or -1 (the axis' size).</param>
/// <param name="Y">Output, float32.</param>
/// <param name="Axis">The transformed axis (negative counts from the back, the complex dim included).</param>
/// <param name="Inverse">Whether to compute the inverse transform.</param>
/// <param name="Onesided">Whether to keep only the non-redundant first half of the bins.</param>
public sealed record DftOp(int X, int Length, int Y, int Axis, bool Inverse, bool Onesided) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        var axis = Axis < 0 ? Axis + xs.Length : Axis;
        if (xs.Length < 2 || xs[^1] is not (1 or 2) || axis < 0 || axis >= xs.Length - 1)
        {
            throw Fail($"the input {ShapeMath.Format(xs)} must end in 1 or 2 and axis {Axis} must be a signal axis.");
        }

        var n = Length >= 0 ? c.Longs(Length)[0] : xs[axis];
        if (n < 1 || n > 1 << 24)
        {
            throw Fail($"dft_length {n} is out of range.");
        }

        int size = (int)n, bins = Onesided ? (size / 2) + 1 : size, available = Math.Min(size, xs[axis]), parts = xs[^1];
        Span<int> ys = stackalloc int[xs.Length];
        xs.CopyTo(ys);
        ys[axis] = bins;
        ys[^1] = 2;
        var y = c.OutputFloats(Y, ys);
        var x = c.Floats(X);
        var scratch = MemoryMarshal.Cast<float, double>(c.Scratch(8 * size));
        var twiddle = scratch[..(2 * size)];
        var line = scratch.Slice(2 * size, 2 * size);
        Kernels.DftTwiddles(twiddle, size);
        int outer = ShapeMath.Product(xs[..axis]), inner = ShapeMath.Product(xs[(axis + 1)..^1]);
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                line.Clear();
                for (var j = 0; j < available; j++)
                {
                    var at = ((((o * xs[axis]) + j) * inner) + i) * parts;
                    line[2 * j] = x[at];
                    line[(2 * j) + 1] = parts == 2 ? x[at + 1] : 0;
                }

                Kernels.Dft(line, twiddle, size, bins, Inverse, y[((((o * bins) * inner) + i) * 2)..], inner * 2);
            }
        }
    }
}
