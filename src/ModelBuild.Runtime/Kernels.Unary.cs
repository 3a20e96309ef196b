using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>Applies <paramref name="f"/> to every element; formulas are on <see cref="UnaryFunction"/>.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">Inputs; their length is the element count.</param>
    /// <param name="y">Outputs, at least <c>x.Length</c>; may be the same memory as <paramref name="x"/>.</param>
    /// <param name="alpha">LeakyRelu slope, Clip minimum, HardSigmoid/Elu/Selu/Celu/ThresholdedRelu alpha, Shrink lambd; ignored otherwise.</param>
    /// <param name="beta">Clip maximum, HardSigmoid beta, Selu gamma, Shrink bias; ignored otherwise.</param>
    public static void Unary(UnaryFunction f, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta)
    {
        Check.AtLeast(y.Length, x.Length, nameof(y), "x.Length");
        if ((uint)f >= EnumCounts.Unary)
        {
            throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown unary function.");
        }

        Unary(Simd.Best, f, x, y[..x.Length], alpha, beta);
    }

    /// <summary>
    /// <c>y = f(x)·scale + shift</c> (<see cref="Ops.UnaryOp"/> with a fused scalar Mul and Add), rounded as the Mul and
    /// Add would round. One pass for the functions activation blocks use (HardSwish, Sigmoid, HardSigmoid); the others
    /// apply <paramref name="f"/>, then the product, then the sum.
    /// </summary>
    internal static void UnaryAffine(UnaryFunction f, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta, float scale, float shift)
    {
        Check.AtLeast(y.Length, x.Length, nameof(y), "x.Length");
        SimdLevel level = Simd.Best;
        y = y[..x.Length];
        switch (f)
        {
            case UnaryFunction.HardSwish:
                Elementwise.Unary(level, new AffineAfterOperator<HardSwishOperator>(default, scale, shift), x, y);
                return;
            case UnaryFunction.Sigmoid:
                Elementwise.Unary(level, new AffineAfterOperator<SigmoidOperator>(default, scale, shift), x, y);
                return;
            case UnaryFunction.HardSigmoid:
                Elementwise.Unary(level, new AffineAfterOperator<HardSigmoidOperator>(new HardSigmoidOperator(alpha, beta), scale, shift), x, y);
                return;
        }

        Unary(f, x, y, alpha, beta);
        ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        Elementwise.VS<MulOperator>(level, ref yr, scale, ref yr, y.Length);
        Elementwise.VS<AddOperator>(level, ref yr, shift, ref yr, y.Length);
    }

    internal static void Unary(SimdLevel level, UnaryFunction f, ReadOnlySpan<float> x, Span<float> y, float alpha, float beta)
    {
        switch (f)
        {
            case UnaryFunction.Relu: Elementwise.Unary(level, default(ReluOperator), x, y); break;
            case UnaryFunction.Sigmoid: Elementwise.Unary(level, default(SigmoidOperator), x, y); break;
            case UnaryFunction.Tanh: Elementwise.Unary(level, default(TanhOperator), x, y); break;
            case UnaryFunction.LeakyRelu: Elementwise.Unary(level, new LeakyReluOperator(alpha), x, y); break;
            case UnaryFunction.Clip: Elementwise.Unary(level, new ClipOperator(alpha, beta), x, y); break;
            case UnaryFunction.HardSigmoid: Elementwise.Unary(level, new HardSigmoidOperator(alpha, beta), x, y); break;
            case UnaryFunction.HardSwish: Elementwise.Unary(level, default(HardSwishOperator), x, y); break;
            case UnaryFunction.Exp: Elementwise.Unary(level, default(ExpOperator), x, y); break;
            case UnaryFunction.Neg: Elementwise.Unary(level, default(NegOperator), x, y); break;
            case UnaryFunction.Abs: Elementwise.Unary(level, default(AbsOperator), x, y); break;
            case UnaryFunction.Sqrt: Elementwise.Unary(level, default(SqrtOperator), x, y); break;
            case UnaryFunction.Erf: Elementwise.Unary(level, default(ErfOperator), x, y); break;
            case UnaryFunction.Gelu: Elementwise.Unary(level, default(GeluOperator), x, y); break;
            case UnaryFunction.GeluTanh: Elementwise.Unary(level, default(GeluTanhOperator), x, y); break;
            case UnaryFunction.Reciprocal: Elementwise.Unary(level, default(ReciprocalOperator), x, y); break;
            case UnaryFunction.Log: Elementwise.Unary(level, default(LogOperator), x, y); break;
            case UnaryFunction.Floor: Elementwise.Unary(level, default(FloorOperator), x, y); break;
            case UnaryFunction.Ceil: Elementwise.Unary(level, default(CeilOperator), x, y); break;
            case UnaryFunction.Round: Elementwise.Unary(level, default(RoundOperator), x, y); break;
            case UnaryFunction.Sign: Elementwise.Unary(level, default(SignOperator), x, y); break;
            case UnaryFunction.Sin: Elementwise.Unary(level, default(SinOperator), x, y); break;
            case UnaryFunction.Cos: Elementwise.Unary(level, default(CosOperator), x, y); break;
            case UnaryFunction.Tan: Elementwise.Unary(level, default(TanOperator), x, y); break;
            case UnaryFunction.Asin: Elementwise.Unary(level, default(AsinOperator), x, y); break;
            case UnaryFunction.Acos: Elementwise.Unary(level, default(AcosOperator), x, y); break;
            case UnaryFunction.Atan: Elementwise.Unary(level, default(AtanOperator), x, y); break;
            case UnaryFunction.Sinh: Elementwise.Unary(level, default(SinhOperator), x, y); break;
            case UnaryFunction.Cosh: Elementwise.Unary(level, default(CoshOperator), x, y); break;
            case UnaryFunction.Asinh: Elementwise.Unary(level, default(AsinhOperator), x, y); break;
            case UnaryFunction.Acosh: Elementwise.Unary(level, default(AcoshOperator), x, y); break;
            case UnaryFunction.Atanh: Elementwise.Unary(level, default(AtanhOperator), x, y); break;
            case UnaryFunction.Elu: Elementwise.Unary(level, new EluOperator(alpha), x, y); break;
            case UnaryFunction.Selu: Elementwise.Unary(level, new SeluOperator(alpha, beta), x, y); break;
            case UnaryFunction.Celu: Elementwise.Unary(level, new CeluOperator(alpha), x, y); break;
            case UnaryFunction.Softplus: Elementwise.Unary(level, default(SoftplusOperator), x, y); break;
            case UnaryFunction.Softsign: Elementwise.Unary(level, default(SoftsignOperator), x, y); break;
            case UnaryFunction.Mish: Elementwise.Unary(level, default(MishOperator), x, y); break;
            case UnaryFunction.ThresholdedRelu: Elementwise.Unary(level, new ThresholdedReluOperator(alpha), x, y); break;
            default: Elementwise.Unary(level, new ShrinkOperator(alpha, beta), x, y); break;
        }
    }

    /// <summary>Per-channel affine map <c>y[n,c,p] = x[n,c,p]·scale[c] + bias[c]</c> (an unfolded BatchNormalization).</summary>
    /// <param name="x">Inputs, <c>batch·channels·hw</c> floats.</param>
    /// <param name="y">Outputs, same size; may alias <paramref name="x"/>.</param>
    /// <param name="scale">One scale per channel.</param>
    /// <param name="bias">One offset per channel.</param>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="hw">Elements per channel.</param>
    /// <param name="batch">Number of samples.</param>
    public static void ChannelAffine(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, int channels, int hw, int batch)
    {
        long count = (long)batch * channels * hw;
        Check.AtLeast(x.Length, count, nameof(x), "batch × channels × hw");
        Check.AtLeast(y.Length, count, nameof(y), "batch × channels × hw");
        Check.AtLeast(scale.Length, channels, nameof(scale), "channels");
        Check.AtLeast(bias.Length, channels, nameof(bias), "channels");
        ChannelAffine(Simd.Best, x, y, scale, bias, channels, hw, batch);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ChannelAffine(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, int channels, int hw, int batch)
    {
        ChannelAffineBody(level, x, y, scale, bias, channels, hw, batch);
    }

    // ChannelAffine's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChannelAffineBody(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, int channels, int hw, int batch)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int n = 0, off = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++, off += hw)
            {
                Elementwise.Affine(level, ref Unsafe.Add(ref xr, off), scale[c], bias[c], ref Unsafe.Add(ref yr, off), hw);
            }
        }
    }

    /// <summary>Mean over each channel: <c>y[i] = (1/hw)·Σ_p x[i·hw + p]</c>.</summary>
    /// <param name="x">Inputs, <c>channels·hw</c> floats.</param>
    /// <param name="y">Outputs, <c>channels</c> floats.</param>
    /// <param name="channels">batch × channels per sample.</param>
    /// <param name="hw">Elements per channel.</param>
    public static void GlobalAveragePool(ReadOnlySpan<float> x, Span<float> y, int channels, int hw)
    {
        Check.Positive(hw, nameof(hw));
        Check.AtLeast(x.Length, (long)channels * hw, nameof(x), "channels × hw");
        Check.AtLeast(y.Length, channels, nameof(y), "channels");
        GlobalAveragePool(Simd.Best, x, y, channels, hw);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void GlobalAveragePool(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int channels, int hw)
    {
        GlobalAveragePoolBody(level, x, y, channels, hw);
    }

    // GlobalAveragePool's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GlobalAveragePoolBody(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int channels, int hw)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        float inv = 1f / hw;
        for (int c = 0; c < channels; c++)
        {
            y[c] = Elementwise.Sum(level, ref Unsafe.Add(ref xr, (nint)c * hw), hw) * inv;
        }
    }
}
