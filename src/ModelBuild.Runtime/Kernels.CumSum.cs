using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX CumSum along the middle index of <c>[outer, axis, inner]</c>: <c>y[j] = Σ x[i]</c> over i ≤ j (i &lt; j when
    /// <paramref name="exclusive"/>), counting from the end when <paramref name="reverse"/>.
    /// </summary>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="y">Outputs, same size; must not alias <paramref name="x"/>.</param>
    /// <param name="outer">Product of the dims before the axis.</param>
    /// <param name="axis">Length of the axis.</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    /// <param name="exclusive">Leave the current element out of its sum.</param>
    /// <param name="reverse">Sum from the end of the axis.</param>
    public static void CumSum(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool exclusive, bool reverse)
    {
        CheckCumSum(x.Length, y.Length, outer, axis, inner);
        if (inner < 4)
        {
            CumSumScalar(x, y, outer, axis, inner, exclusive, reverse);
            return;
        }

        // Each step along the axis adds one contiguous row of inner values to the previous sums: a vector add.
        SimdLevel level = Simd.Best;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (int o = 0; o < outer; o++)
        {
            for (int t = 0; t < axis; t++)
            {
                int a = reverse ? axis - 1 - t : t, previous = reverse ? a + 1 : a - 1;
                ref float row = ref Unsafe.Add(ref yr, (((nint)o * axis) + a) * inner);
                if (t == 0)
                {
                    MemoryMarshal.CreateSpan(ref row, inner).Clear();
                    if (!exclusive)
                    {
                        x.Slice(((o * axis) + a) * inner, inner).CopyTo(MemoryMarshal.CreateSpan(ref row, inner));
                    }

                    continue;
                }

                int added = exclusive ? previous : a;
                Elementwise.VV<AddOperator>(level, ref Unsafe.Add(ref yr, (((nint)o * axis) + previous) * inner),
                    ref Unsafe.Add(ref xr, (((nint)o * axis) + added) * inner), ref row, inner);
            }
        }
    }

    /// <summary>CumSum of int64 values (wrapping on overflow, as ONNX Runtime's integer adds).</summary>
    /// <inheritdoc cref="CumSum(ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool)"/>
    public static void CumSum(ReadOnlySpan<long> x, Span<long> y, int outer, int axis, int inner, bool exclusive, bool reverse)
    {
        CheckCumSum(x.Length, y.Length, outer, axis, inner);
        CumSumScalar(x, y, outer, axis, inner, exclusive, reverse);
    }

    private static void CheckCumSum(int xLength, int yLength, int outer, int axis, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(axis);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        long count = (long)outer * axis * inner;
        Check.AtLeast(xLength, count, "x", "outer × axis × inner");
        Check.AtLeast(yLength, count, "y", "outer × axis × inner");
    }

    private static void CumSumScalar<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int axis, int inner, bool exclusive, bool reverse)
        where T : struct, INumberBase<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * axis * inner) + i;
                T sum = T.Zero;
                for (int t = 0; t < axis; t++)
                {
                    int at = start + ((reverse ? axis - 1 - t : t) * inner);
                    if (exclusive)
                    {
                        y[at] = sum;
                        sum += x[at];
                    }
                    else
                    {
                        sum += x[at];
                        y[at] = sum;
                    }
                }
            }
        }
    }
}
