using ModelBuild.Graph;

namespace ModelBuild.Compression.Quantization;

/// <summary>
/// Linear (affine) int8 weight quantisation, the scheme of ONNX <c>QuantizeLinear</c>/<c>DequantizeLinear</c>.
/// </summary>
/// <remarks>
/// Ranges are found in float64. The scale is stored as float32 and the integers are computed against that
/// stored float32 scale, so the dequantised grid is exactly the one a reader reconstructs. Rounding is
/// half-to-even (as QuantizeLinear). The result depends only on the input values: no randomness, no threading.
/// </remarks>
public static class LinearQuantizer
{
    /// <summary>
    /// Quantises a float weight to int8. Symmetric: scale = max|w|/127, q = clamp(round(w/scale), −127, 127).
    /// Asymmetric: range [min(w,0), max(w,0)], scale = (max − min)/255, zp = clamp(round(−128 − min/scale)),
    /// q = clamp(round(w/scale) + zp, −128, 127). An all-zero channel gets scale 1 and q = 0.
    /// </summary>
    /// <param name="weight">A float tensor.</param>
    /// <param name="axis">The output-channel axis (negative counts from the end); ignored in value for per-tensor but kept.</param>
    /// <param name="granularity">One scale per index along <paramref name="axis"/>, or one for the tensor.</param>
    /// <param name="symmetric">Zero point 0 (int8) or a zero point per scale (int8a).</param>
    public static QuantizedTensor QuantizeInt8(Tensor weight, int axis, QuantGranularity granularity, bool symmetric)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var dims = weight.Dims.Select(d => checked((int)d)).ToArray();
        if (dims.Length == 0 && granularity == QuantGranularity.PerChannel)
        {
            throw new ArgumentException($"'{weight.Name}' is a scalar; it cannot be quantised per channel.", nameof(granularity));
        }

        axis = dims.Length == 0 ? 0 : axis < 0 ? axis + dims.Length : axis;
        if (dims.Length > 0 && (axis < 0 || axis >= dims.Length))
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is outside the rank {dims.Length} of '{weight.Name}'.");
        }

        var w = weight.ToFloats();
        if (Array.Exists(w, v => !float.IsFinite(v)))
        {
            throw new ArgumentException($"'{weight.Name}' contains NaN or infinite values; they cannot be quantised.", nameof(weight));
        }

        var channels = granularity == QuantGranularity.PerTensor ? 1 : dims[axis];
        var inner = 1;
        for (var d = axis + 1; d < dims.Length; d++)
        {
            inner *= dims[d];
        }

        var channelOf = channels == 1 ? (Func<int, int>)(_ => 0) : i => i / inner % channels;
        var (lo, hi) = (new double[channels], new double[channels]);
        for (var i = 0; i < w.Length; i++)
        {
            var c = channelOf(i);
            lo[c] = Math.Min(lo[c], w[i]);
            hi[c] = Math.Max(hi[c], w[i]);
        }

        var scales = new float[channels];
        var zeroPoints = symmetric ? Array.Empty<sbyte>() : new sbyte[channels];
        for (var c = 0; c < channels; c++)
        {
            var scale = symmetric ? Math.Max(-lo[c], hi[c]) / 127.0 : (hi[c] - lo[c]) / 255.0;
            scales[c] = (float)scale;
            if (scales[c] == 0f || !float.IsNormal(scales[c]))
            {
                // All-zero (or vanishingly small) channel: any scale reproduces it; 1 keeps the value well defined.
                scales[c] = 1f;
                continue;
            }

            if (!symmetric)
            {
                zeroPoints[c] = (sbyte)Math.Clamp(Math.Round(-128.0 - (lo[c] / scales[c]), MidpointRounding.ToEven), -128, 127);
            }
        }

        var values = new sbyte[w.Length];
        var (min, max) = symmetric ? (-127.0, 127.0) : (-128.0, 127.0);
        for (var i = 0; i < w.Length; i++)
        {
            var c = channelOf(i);
            var zp = symmetric ? 0 : zeroPoints[c];
            values[i] = (sbyte)Math.Clamp(Math.Round(w[i] / (double)scales[c], MidpointRounding.ToEven) + zp, min, max);
        }

        var result = new QuantizedTensor(weight.Name, dims, values, scales, zeroPoints, axis);
        var (maxAbs, sqnr) = QuantizationError.Measure(w, result.Dequantize());
        return result with { MaxAbsError = maxAbs, SqnrDb = sqnr };
    }
}
