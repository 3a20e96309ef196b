using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    /// <summary>The vector form of <see cref="Apply(int, float, float)"/> for 8 outputs of one row (conv: 8 pixels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(int j, Vector256<float> dot, Vector256<float> sumX)
    {
        Vector256<float> v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= sumX * _zeroPoints[j];
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += Vector256.Create(_bias[j]);
        }

        return _relu ? Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v) : v;
    }

    /// <summary>The vector form of <see cref="Apply(int, float, float)"/> for 4 outputs of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Apply(int j, Vector128<float> dot, Vector128<float> sumX)
    {
        Vector128<float> v = dot;
        if (!_zeroPoints.IsEmpty)
        {
            v -= sumX * _zeroPoints[j];
        }

        if (!_scales.IsEmpty)
        {
            v *= _scales[j];
        }

        if (!_bias.IsEmpty)
        {
            v += Vector128.Create(_bias[j]);
        }

        return _relu ? Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), Vector128<float>.Zero, v) : v;
    }
}
