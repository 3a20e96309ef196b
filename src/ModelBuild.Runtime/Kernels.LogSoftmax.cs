using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
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
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        Check.Positive(axis, nameof(axis));
        Check.Positive(inner, nameof(inner));
        long count = (long)outer * axis * inner;
        Check.AtLeast(x.Length, count, nameof(x), "outer × axis × inner");
        Check.AtLeast(y.Length, count, nameof(y), "outer × axis × inner");
        LogSoftmax(Simd.Best, x, y, outer, axis, inner);
    }

    internal static void LogSoftmax(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
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
                // The common last-axis case, all SIMD passes. (x − max) − log Σ is subtracted in two steps: max + log Σ
                // would round to the ulp of max, which for inputs near 10⁴ is 1e-3.
                float max = Reductions.FoldRow<IdentityOperator, MaxOperator>(level, ref xo, axis, float.NegativeInfinity);
                float logSum = MathF.Log(Reductions.SumExpShifted(level, ref xo, axis, max));
                Elementwise.VS<SubOperator>(level, ref xo, max, ref yo, axis);
                Elementwise.VS<SubOperator>(level, ref yo, logSum, ref yo, axis);
                continue;
            }

            for (int i = 0; i < inner; i++)
            {
                LogSoftmaxStrided(ref Unsafe.Add(ref xo, i), ref Unsafe.Add(ref yo, i), axis, inner);
            }
        }
    }

    private static void LogSoftmaxStrided(ref float x, ref float y, int axis, int stride)
    {
        float max = float.NegativeInfinity;
        for (int a = 0; a < axis; a++)
        {
            max = MathF.Max(max, Unsafe.Add(ref x, (nint)a * stride));
        }

        float sum = 0;
        for (int a = 0; a < axis; a++)
        {
            sum += MathF.Exp(Unsafe.Add(ref x, (nint)a * stride) - max);
        }

        float logSum = MathF.Log(sum);
        for (int a = 0; a < axis; a++)
        {
            Unsafe.Add(ref y, (nint)a * stride) = Unsafe.Add(ref x, (nint)a * stride) - max - logSum;
        }
    }
}
