using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX ArgMax / ArgMin over the middle index of <c>[outer, axis, inner]</c>: the index of the largest (smallest)
    /// value, the first one on ties unless <paramref name="selectLast"/>. NaN counts as the extreme, as numpy's argmax.
    /// </summary>
    /// <param name="max">ArgMax (true) or ArgMin (false).</param>
    /// <param name="selectLast">On ties take the last index (ONNX select_last_index).</param>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="y">Indices, <c>outer·inner</c>.</param>
    /// <param name="outer">Product of the dims before the axis.</param>
    /// <param name="axis">Length of the axis (≥ 1).</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    public static void ArgReduce(bool max, bool selectLast, ReadOnlySpan<float> x, Span<long> y, int outer, int axis, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        Check.Positive(axis, nameof(axis));
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        Check.AtLeast(x.Length, (long)outer * axis * inner, nameof(x), "outer × axis × inner");
        Check.AtLeast(y.Length, (long)outer * inner, nameof(y), "outer × inner");
        ref float xr = ref MemoryMarshal.GetReference(x);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                y[(o * inner) + i] = ArgBest(ref Unsafe.Add(ref xr, ((nint)o * axis * inner) + i), axis, inner, max, selectLast);
            }
        }
    }

    /// <summary>
    /// ONNX Hardmax over the middle index of <c>[outer, axis, inner]</c>: 1 at the first index of the largest value
    /// along the axis, 0 elsewhere.
    /// </summary>
    /// <param name="x">Inputs, <c>outer·axis·inner</c> floats.</param>
    /// <param name="y">Outputs, same size; must not alias <paramref name="x"/>.</param>
    /// <param name="outer">Product of the dims before the axis.</param>
    /// <param name="axis">Length of the axis.</param>
    /// <param name="inner">Product of the dims after the axis.</param>
    public static void Hardmax(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner)
    {
        CheckLines(x, y, outer, axis, inner, allowEmpty: true);
        y[..(outer * axis * inner)].Clear();
        if (axis == 0)
        {
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                nint start = ((nint)o * axis * inner) + i;
                int best = ArgBest(ref Unsafe.Add(ref xr, start), axis, inner, max: true, last: false);
                y[(int)start + (best * inner)] = 1;
            }
        }
    }

    /// <summary>The index of the extreme of <c>x[0], x[stride], …</c> (n ≥ 1 values).</summary>
    private static int ArgBest(ref float x, int n, int stride, bool max, bool last)
    {
        int best = 0;
        float bestValue = x;
        for (int a = 1; a < n; a++)
        {
            float v = Unsafe.Add(ref x, (nint)a * stride);
            bool better = float.IsNaN(bestValue) ? last && float.IsNaN(v)
                : float.IsNaN(v) || (max ? v > bestValue : v < bestValue) || (last && v == bestValue);
            if (better)
            {
                best = a;
                bestValue = v;
            }
        }

        return best;
    }
}
