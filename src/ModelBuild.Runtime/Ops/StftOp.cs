using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX STFT (opset 17): the DFT of each frame <c>x[b, f·step + j] · window[j]</c>, <c>j &lt; frame_length</c>, of a
/// signal <c>[batch, length, 1 or 2]</c>. Output <c>[batch, frames, bins, 2]</c> with
/// <c>frames = 1 + ⌊(length − frame_length) / step⌋</c> and <c>bins = ⌊frame_length/2⌋ + 1</c> when onesided, else
/// <c>frame_length</c>. frame_length is the window's length when there is a window. Computed in float64.
/// </summary>
/// <param name="Signal">Float32 <c>[batch, length, 1 or 2]</c>.</param>
/// <param name="FrameStep">Scalar int64 hop between frames.</param>
/// <param name="Window">Float32 <c>[frame_length]</c>, or -1 (rectangular).</param>
/// <param name="FrameLength">Scalar int64, or -1 (the window's length).</param>
/// <param name="Y">Output, float32.</param>
/// <param name="Onesided">Whether to keep only the non-redundant first half of the bins.</param>
public sealed record StftOp(int Signal, int FrameStep, int Window, int FrameLength, int Y, bool Onesided) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(Signal);
        if (xs.Length != 3 || xs[2] is not (1 or 2))
        {
            throw Fail($"the signal {ShapeMath.Format(xs)} must be [batch, length, 1 or 2].");
        }

        var step = c.Longs(FrameStep)[0];
        long frameLength = Window >= 0 ? c.Count(Window) : FrameLength >= 0 ? c.Longs(FrameLength)[0] : -1;
        if (Window >= 0 && FrameLength >= 0 && c.Longs(FrameLength)[0] != frameLength)
        {
            throw Fail($"frame_length {c.Longs(FrameLength)[0]} differs from the window's length {frameLength}.");
        }

        if (step < 1 || frameLength < 1 || frameLength > xs[1])
        {
            throw Fail($"frame_step {step} and frame_length {frameLength} must be ≥ 1, the frame no longer than the signal ({xs[1]}).");
        }

        int size = (int)frameLength, bins = Onesided ? (size / 2) + 1 : size, frames = 1 + (int)((xs[1] - frameLength) / step);
        int batch = xs[0], length = xs[1], parts = xs[2];
        var y = c.OutputFloats(Y, [batch, frames, bins, 2]);
        var x = c.Floats(Signal);
        var window = Window >= 0 ? c.Floats(Window) : default;
        var scratch = MemoryMarshal.Cast<float, double>(c.Scratch(8 * size));
        var twiddle = scratch[..(2 * size)];
        var line = scratch.Slice(2 * size, 2 * size);
        Kernels.DftTwiddles(twiddle, size);
        for (var b = 0; b < batch; b++)
        {
            for (var f = 0; f < frames; f++)
            {
                for (var j = 0; j < size; j++)
                {
                    var at = ((b * length) + (f * (int)step) + j) * parts;
                    var w = Window >= 0 ? window[j] : 1.0;
                    line[2 * j] = x[at] * w;
                    line[(2 * j) + 1] = parts == 2 ? x[at + 1] * w : 0;
                }

                Kernels.Dft(line, twiddle, size, bins, inverse: false, y[(((b * frames) + f) * bins * 2)..], 2);
            }
        }
    }
}
