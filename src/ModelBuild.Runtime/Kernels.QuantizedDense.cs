using System.Runtime.CompilerServices;
namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Fully connected layer with 8-bit activations (<see cref="Ops.QuantizedDenseOp"/>): x is quantised to uint8 per
    /// tensor, <c>q = saturate(roundToEven(x / s) + zp)</c>, with (s, zp) computed from x as ONNX
    /// <c>DynamicQuantizeLinear</c> does when <paramref name="inputScale"/> is 0, else the given calibrated pair; then
    /// <c>y[r,j] = act(float(Σ_k (q[r,k] − zp)·w[j,k]) · (s·wScale[j]) + bias[j])</c> with the integer sum exact.
    /// </summary>
    /// <param name="x">Inputs, <c>rows × w.Cols</c> floats.</param>
    /// <param name="w">Int8 symmetric weights (<see cref="WeightFormat.Int8"/>), <c>n × k</c>, one scale per row.</param>
    /// <param name="bias">n floats, or empty for none.</param>
    /// <param name="y">Outputs, <c>rows × w.Rows</c> floats.</param>
    /// <param name="rows">Number of input rows (rows per sample × batch).</param>
    /// <param name="act">The fused activation.</param>
    /// <param name="inputScale">The activations' scale (&gt; 0), or 0 for dynamic (computed from x on every call).</param>
    /// <param name="inputZeroPoint">The activations' zero point, 0–255 (ignored when dynamic).</param>
    /// <param name="codes">Scratch for the codes, at least <c>rows × w.Cols</c> bytes.</param>
    /// <exception cref="ArgumentException">A span is too short, the weights are not int8 symmetric, or the scale or zero point is out of range.</exception>
    public static void QuantizedDense(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act,
        float inputScale, int inputZeroPoint, Span<byte> codes)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (w.Format != WeightFormat.Int8)
        {
            throw new ArgumentException($"the weights must be int8 symmetric (format Int8), not {w.Format}.", nameof(w));
        }

        if (!(inputScale >= 0) || float.IsInfinity(inputScale) || inputZeroPoint is < 0 or > 255)
        {
            throw new ArgumentException($"the input scale must be 0 (dynamic) or positive and finite, and the zero point 0–255; got {inputScale} and {inputZeroPoint}.");
        }

        long count = (long)rows * w.Cols;
        Check.AtLeast(x.Length, count, nameof(x), "rows × w.Cols");
        Check.AtLeast(y.Length, (long)rows * w.Rows, nameof(y), "rows × w.Rows");
        Check.AtLeast(codes.Length, count, nameof(codes), "rows × w.Cols");
        Check.BiasLength(bias, w.Rows);
        QuantizedDense(Simd.Best, Int8Dense.Best, x[..(int)count], w, bias, y, rows, act, inputScale, inputZeroPoint, codes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void QuantizedDense(SimdLevel level, Int8Path path, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows,
        Activation act, float inputScale, int inputZeroPoint, Span<byte> codes)
    {
        QuantizedDenseBody(level, path, x, w, bias, y, rows, act, inputScale, inputZeroPoint, codes);
    }

    // QuantizedDense's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuantizedDenseBody(SimdLevel level, Int8Path path, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows,
        Activation act, float inputScale, int inputZeroPoint, Span<byte> codes)
    {
        (float scale, int zeroPoint) = inputScale == 0 ? ActivationQuantizer.DynamicParameters(x) : (inputScale, inputZeroPoint);
        ActivationQuantizer.Quantize(level, x, scale, zeroPoint, codes);
        Int8Dense.Run(path, codes, zeroPoint, scale, w, bias, act, y, rows);
    }
}
