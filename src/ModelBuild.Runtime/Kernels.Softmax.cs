using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softmax over the middle index of <c>[outer, axis, inner]</c>:
    /// <c>y = e^(x − max) / Σ e^(x − max)</c>; subtracting the max keeps every exponent ≤ 0 so nothing overflows.
    /// </summary>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="y">Outputs, same size; may alias <paramref name="x"/>.</param>
    /// <param name="outer">Product of the dims before the axis, batch included.</param>
    /// <param name="axis">Length of the softmax axis.</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        CheckLines(x, y, outer, axis, inner, allowEmpty: false);
        Softmax(Simd.Best, x, y, outer, axis, inner);
    }

    /// <summary>
    /// LogSoftmax over the middle index of <c>[outer, axis, inner]</c>:
    /// <c>y = x − max − log Σ e^(x − max)</c> (ONNX LogSoftmax; the max keeps every exponent ≤ 0).
    /// </summary>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="y">Outputs, same size; may alias <paramref name="x"/>.</param>
    /// <param name="outer">Product of the dims before the axis, batch included.</param>
    /// <param name="axis">Length of the axis.</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        CheckLines(x, y, outer, axis, inner, allowEmpty: false);
        LogSoftmax(Simd.Best, x, y, outer, axis, inner);
    }

    internal static void Softmax(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner) =>
        SoftmaxFamily<SoftmaxFinal>(level, x, y, outer, axis, inner);

    internal static void LogSoftmax(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner) =>
        SoftmaxFamily<LogSoftmaxFinal>(level, x, y, outer, axis, inner);

    /// <summary>
    /// The checks of the kernels over the middle index of <c>[outer, axis, inner]</c>: sizes not negative (or, unless
    /// <paramref name="allowEmpty"/>, positive), and <paramref name="x"/> and <paramref name="y"/> long enough.
    /// </summary>
    private static void CheckLines(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool allowEmpty)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        if (allowEmpty)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(axis);
            ArgumentOutOfRangeException.ThrowIfNegative(inner);
        }
        else
        {
            Check.Positive(axis, nameof(axis));
            Check.Positive(inner, nameof(inner));
        }

        long count = (long)outer * axis * inner;
        Check.AtLeast(x.Length, count, nameof(x), "outer × axis × inner");
        Check.AtLeast(y.Length, count, nameof(y), "outer × axis × inner");
    }

    /// <summary>
    /// The walk Softmax and LogSoftmax share: per line, the max, then (strided lines) Σ e^(x − max), then
    /// <typeparamref name="TFinal"/>'s last step.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SoftmaxFamily<TFinal>(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
        where TFinal : ISoftmaxFinal
    {
        SoftmaxFamilyBody<TFinal>(level, x, y, outer, axis, inner);
    }

    // SoftmaxFamily's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxFamilyBody<TFinal>(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
        where TFinal : ISoftmaxFinal
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int block = axis * inner;
        for (int o = 0; o < outer; o++)
        {
            ref float xo = ref Unsafe.Add(ref xr, (nint)o * block);
            ref float yo = ref Unsafe.Add(ref yr, (nint)o * block);
            if (inner == 1)
            {
                float max = Reductions.FoldRow<IdentityOperator, MaxOperator>(level, ref xo, axis, float.NegativeInfinity);
                TFinal.Row(level, ref xo, ref yo, axis, max);
                continue;
            }

            // Strided axis: vectorise across the inner index instead, so each lane is one line.
            int i = 0;
            if (TFinal.VectorLanes && level == SimdLevel.Vector256)
            {
                i = StridedLines<TFinal, Vector256Width, Vector256<float>>(ref xo, ref yo, axis, inner, i);
            }
            else if (TFinal.VectorLanes && level == SimdLevel.Vector128)
            {
                i = StridedLines<TFinal, Vector128Width, Vector128<float>>(ref xo, ref yo, axis, inner, i);
            }

            StridedLines<TFinal, ScalarWidth, float>(ref xo, ref yo, axis, inner, i);
        }
    }

    /// <summary>The lines from inner index <paramref name="i"/> on, <c>W.Count</c> at a time; returns the first one left.</summary>
    private static int StridedLines<TFinal, W, TV>(ref float x, ref float y, int axis, int stride, int i)
        where TFinal : ISoftmaxFinal
        where W : IVectorWidth<TV>
        where TV : struct
    {
        for (; i <= stride - W.Count; i += W.Count)
        {
            ref float xi = ref Unsafe.Add(ref x, i);
            ref float yi = ref Unsafe.Add(ref y, i);
            TV max = W.Load(ref xi, 0);
            for (int a = 1; a < axis; a++)
            {
                max = W.Max(max, W.Load(ref xi, (nint)a * stride));
            }

            TV sum = default;
            for (int a = 0; a < axis; a++)
            {
                TV e = W.Exp(W.Subtract(W.Load(ref xi, (nint)a * stride), max));
                if (TFinal.KeepsExp)
                {
                    W.Store(e, ref yi, (nint)a * stride);
                }

                sum = W.Add(sum, e);
            }

            TFinal.Finish<W, TV>(ref xi, ref yi, axis, stride, max, sum);
        }

        return i;
    }
}

/// <summary>The last step of <see cref="Kernels.Softmax(ReadOnlySpan{float}, Span{float}, int, int, int)"/> or LogSoftmax.</summary>
internal interface ISoftmaxFinal
{
    /// <summary>Whether strided lines run in vector lanes (else scalar, one line at a time).</summary>
    static abstract bool VectorLanes { get; }

    /// <summary>Whether the exp pass over strided lines stores <c>e^(x − max)</c> in y for <see cref="Finish"/>.</summary>
    static abstract bool KeepsExp { get; }

    /// <summary>A contiguous line of <paramref name="n"/> values whose max is known (the common last-axis case).</summary>
    static abstract void Row(SimdLevel level, ref float x, ref float y, int n, float max);

    /// <summary><c>W.Count</c> strided lines given their max and Σ e^(x − max), one per lane.</summary>
    static abstract void Finish<W, TV>(ref float x, ref float y, int axis, int stride, TV max, TV sum)
        where W : IVectorWidth<TV>
        where TV : struct;
}

/// <summary>Softmax: <c>y = e^(x − max) · (1 / Σ)</c>.</summary>
internal readonly struct SoftmaxFinal : ISoftmaxFinal
{
    public static bool VectorLanes => true;

    public static bool KeepsExp => true;

    public static void Row(SimdLevel level, ref float x, ref float y, int n, float max)
    {
        // y = e^(x − max) reuses the subtract and exp drivers; then one more pass to sum and one to scale.
        Elementwise.VS<SubOperator>(level, ref x, max, ref y, n);
        Span<float> ys = MemoryMarshal.CreateSpan(ref y, n);
        Elementwise.Unary(level, default(ExpOperator), ys, ys);
        float inv = 1f / Elementwise.Sum(level, ref y, n);
        Elementwise.VS<MulOperator>(level, ref y, inv, ref y, n);
    }

    public static void Finish<W, TV>(ref float x, ref float y, int axis, int stride, TV max, TV sum)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        TV inv = W.Divide(W.Broadcast(1f), sum);
        for (int a = 0; a < axis; a++)
        {
            W.Store(W.Multiply(W.Load(ref y, (nint)a * stride), inv), ref y, (nint)a * stride);
        }
    }
}

/// <summary>LogSoftmax: <c>y = (x − max) − log Σ</c>.</summary>
internal readonly struct LogSoftmaxFinal : ISoftmaxFinal
{
    // Strided lines in vector lanes (as Softmax): about 20x faster on a middle axis than one scalar line at a time;
    // the vector exp differs from MathF.Exp in the last bits only, inside the kernels' documented tolerance.
    public static bool VectorLanes => true;

    public static bool KeepsExp => false;

    public static void Row(SimdLevel level, ref float x, ref float y, int n, float max)
    {
        // All SIMD passes. (x − max) − log Σ is subtracted in two steps: max + log Σ would round to the ulp of max,
        // which for inputs near 10⁴ is 1e-3.
        float logSum = MathF.Log(Reductions.SumExpShifted(level, ref x, n, max));
        Elementwise.VS<SubOperator>(level, ref x, max, ref y, n);
        Elementwise.VS<SubOperator>(level, ref y, logSum, ref y, n);
    }

    public static void Finish<W, TV>(ref float x, ref float y, int axis, int stride, TV max, TV sum)
        where W : IVectorWidth<TV>
        where TV : struct
    {
        TV logSum = W.Log(sum);
        for (int a = 0; a < axis; a++)
        {
            W.Store(W.Subtract(W.Subtract(W.Load(ref x, (nint)a * stride), max), logSum), ref y, (nint)a * stride);
        }
    }
}
