using System.Runtime.CompilerServices;

namespace ModelBuild.Runtime;

/// <summary>
/// What happens to a raw dot product Σx·q on its way out: dequantise with the row's scale (and zero point),
/// add the bias, apply the activation. Applied once per output, so the inner loops stay pure FMAs.
/// </summary>
internal readonly ref struct Epilogue(WeightMatrix w, ReadOnlySpan<float> bias, Activation act)
{
    private readonly ReadOnlySpan<float> _scales = w.Scales;
    private readonly ReadOnlySpan<int> _zeroPoints = w.ZeroPoints;
    private readonly ReadOnlySpan<float> _bias = bias;
    private readonly bool _relu = act == Activation.Relu;

    /// <param name="j">The weight row (output channel).</param>
    /// <param name="dot">Σ_k x[k]·q[j,k] (or ·w[j,k] for float32).</param>
    /// <param name="sumX">Σ_k x[k]; used only for asymmetric int8, where Σx·(q−zp) = Σx·q − zp·Σx.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(int j, float dot, float sumX)
    {
        float v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= _zeroPoints[j] * sumX;
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += _bias[j];
        }

        // "v < 0 ? 0 : v" keeps NaN, as ONNX Relu does.
        return _relu && v < 0 ? 0 : v;
    }
}
