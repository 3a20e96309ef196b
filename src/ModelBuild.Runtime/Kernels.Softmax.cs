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
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        Check.Positive(axis, nameof(axis));
        Check.Positive(inner, nameof(inner));
        long count = (long)outer * axis * inner;
        Check.AtLeast(x.Length, count, nameof(x), "outer × axis × inner");
        Check.AtLeast(y.Length, count, nameof(y), "outer × axis × inner");
        Softmax(Simd.Best, x, y, outer, axis, inner);
    }

    internal static void Softmax(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
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
                SoftmaxContiguous(level, ref xo, ref yo, axis);
                continue;
            }

            // Strided axis: vectorise across the inner index instead, so each lane is one softmax.
            int i = 0;
            if (level == SimdLevel.Vector256)
            {
                for (; i <= inner - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    SoftmaxLanes256(ref Unsafe.Add(ref xo, i), ref Unsafe.Add(ref yo, i), axis, inner);
                }
            }
            else if (level == SimdLevel.Vector128)
            {
                for (; i <= inner - Vector128<float>.Count; i += Vector128<float>.Count)
                {
                    SoftmaxLanes128(ref Unsafe.Add(ref xo, i), ref Unsafe.Add(ref yo, i), axis, inner);
                }
            }

            for (; i < inner; i++)
            {
                SoftmaxStrided(ref Unsafe.Add(ref xo, i), ref Unsafe.Add(ref yo, i), axis, inner);
            }
        }
    }

    private static void SoftmaxContiguous(SimdLevel level, ref float x, ref float y, int n)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (level == SimdLevel.Vector256 && n >= Vector256<float>.Count)
        {
            Vector256<float> vmax = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                vmax = Vector256.Max(vmax, Vector256.LoadUnsafe(ref x, (nuint)i));
            }

            for (int l = 0; l < Vector256<float>.Count; l++)
            {
                max = MathF.Max(max, vmax[l]);
            }
        }
        else if (level == SimdLevel.Vector128 && n >= Vector128<float>.Count)
        {
            Vector128<float> vmax = Vector128.Create(float.NegativeInfinity);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                vmax = Vector128.Max(vmax, Vector128.LoadUnsafe(ref x, (nuint)i));
            }

            for (int l = 0; l < Vector128<float>.Count; l++)
            {
                max = MathF.Max(max, vmax[l]);
            }
        }

        for (; i < n; i++)
        {
            max = MathF.Max(max, Unsafe.Add(ref x, i));
        }

        // y = e^(x − max) reuses the subtract and exp drivers; then one more pass to sum and one to scale.
        Elementwise.VS<SubOperator>(level, ref x, max, ref y, n);
        Span<float> ys = MemoryMarshal.CreateSpan(ref y, n);
        Elementwise.Unary(level, default(ExpOperator), ys, ys);
        float inv = 1f / Elementwise.Sum(level, ref y, n);
        Elementwise.VS<MulOperator>(level, ref y, inv, ref y, n);
    }

    private static void SoftmaxStrided(ref float x, ref float y, int axis, int stride)
    {
        float max = float.NegativeInfinity;
        for (int a = 0; a < axis; a++)
        {
            max = MathF.Max(max, Unsafe.Add(ref x, a * stride));
        }

        float sum = 0;
        for (int a = 0; a < axis; a++)
        {
            float e = MathF.Exp(Unsafe.Add(ref x, a * stride) - max);
            Unsafe.Add(ref y, a * stride) = e;
            sum += e;
        }

        float inv = 1f / sum;
        for (int a = 0; a < axis; a++)
        {
            Unsafe.Add(ref y, a * stride) *= inv;
        }
    }

    /// <summary>8 independent softmaxes over a strided axis, one per lane.</summary>
    private static void SoftmaxLanes256(ref float x, ref float y, int axis, int stride)
    {
        Vector256<float> max = Vector256.LoadUnsafe(ref x);
        for (int a = 1; a < axis; a++)
        {
            max = Vector256.Max(max, Vector256.LoadUnsafe(ref x, (nuint)(a * stride)));
        }

        Vector256<float> sum = default;
        for (int a = 0; a < axis; a++)
        {
            Vector256<float> e = Vector256.Exp(Vector256.LoadUnsafe(ref x, (nuint)(a * stride)) - max);
            e.StoreUnsafe(ref y, (nuint)(a * stride));
            sum += e;
        }

        Vector256<float> inv = Vector256<float>.One / sum;
        for (int a = 0; a < axis; a++)
        {
            (Vector256.LoadUnsafe(ref y, (nuint)(a * stride)) * inv).StoreUnsafe(ref y, (nuint)(a * stride));
        }
    }

    /// <summary>4 independent softmaxes over a strided axis, one per lane.</summary>
    private static void SoftmaxLanes128(ref float x, ref float y, int axis, int stride)
    {
        Vector128<float> max = Vector128.LoadUnsafe(ref x);
        for (int a = 1; a < axis; a++)
        {
            max = Vector128.Max(max, Vector128.LoadUnsafe(ref x, (nuint)(a * stride)));
        }

        Vector128<float> sum = default;
        for (int a = 0; a < axis; a++)
        {
            Vector128<float> e = Vector128.Exp(Vector128.LoadUnsafe(ref x, (nuint)(a * stride)) - max);
            e.StoreUnsafe(ref y, (nuint)(a * stride));
            sum += e;
        }

        Vector128<float> inv = Vector128<float>.One / sum;
        for (int a = 0; a < axis; a++)
        {
            (Vector128.LoadUnsafe(ref y, (nuint)(a * stride)) * inv).StoreUnsafe(ref y, (nuint)(a * stride));
        }
    }
}
