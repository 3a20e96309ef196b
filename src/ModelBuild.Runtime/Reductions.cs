using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// The loops behind <see cref="Kernels.Reduce(ReduceFunction, ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float}, Span{float})"/>:
/// a horizontal fold of one contiguous row, a vertical fold of a row into an accumulator row, the shifted exp sums of
/// LogSumExp, and the offset tables of the general path.
/// </summary>
internal static class Reductions
{
    /// <summary>
    /// fold(seed, pre(x[0]), …, pre(x[n−1])) with one accumulator per lane. The seed is the fold's identity
    /// (0, 1, ±∞), so starting every lane from it and folding the lanes together at the end changes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float FoldRow<TPre, TAcc>(SimdLevel level, ref float x, int n, float seed)
        where TPre : struct, IUnaryOperator
        where TAcc : struct, IBinaryOperator
    {
        return FoldRowBody<TPre, TAcc>(level, ref x, n, seed);
    }

    // FoldRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FoldRowBody<TPre, TAcc>(SimdLevel level, ref float x, int n, float seed)
        where TPre : struct, IUnaryOperator
        where TAcc : struct, IBinaryOperator
    {
        TPre pre = default;
        float acc = seed;
        int i = 0;
        if (level == SimdLevel.Vector256 && n >= Vector256<float>.Count)
        {
            Vector256<float> v = Vector256.Create(seed);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                v = TAcc.Invoke(v, pre.Invoke(Vector256.LoadUnsafe(ref x, (nuint)i)));
            }

            for (int l = 0; l < Vector256<float>.Count; l++)
            {
                acc = TAcc.Invoke(acc, v.GetElement(l));
            }
        }

        if (level != SimdLevel.Scalar && n - i >= Vector128<float>.Count)
        {
            Vector128<float> v = Vector128.Create(seed);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                v = TAcc.Invoke(v, pre.Invoke(Vector128.LoadUnsafe(ref x, (nuint)i)));
            }

            for (int l = 0; l < Vector128<float>.Count; l++)
            {
                acc = TAcc.Invoke(acc, v.GetElement(l));
            }
        }

        for (; i < n; i++)
        {
            acc = TAcc.Invoke(acc, pre.Invoke(Unsafe.Add(ref x, i)));
        }

        return acc;
    }

    /// <summary><c>acc[i] = fold(acc[i], pre(x[i]))</c> for <c>i &lt; n</c> (a reduced axis with a contiguous kept block after it).</summary>
    public static void FoldInto<TPre, TAcc>(SimdLevel level, ref float x, ref float acc, int n)
        where TPre : struct, IUnaryOperator
        where TAcc : struct, IBinaryOperator
    {
        TPre pre = default;
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TAcc.Invoke(Vector256.LoadUnsafe(ref acc, (nuint)i), pre.Invoke(Vector256.LoadUnsafe(ref x, (nuint)i))).StoreUnsafe(ref acc, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TAcc.Invoke(Vector128.LoadUnsafe(ref acc, (nuint)i), pre.Invoke(Vector128.LoadUnsafe(ref x, (nuint)i))).StoreUnsafe(ref acc, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref acc, i) = TAcc.Invoke(Unsafe.Add(ref acc, i), pre.Invoke(Unsafe.Add(ref x, i)));
        }
    }

    /// <summary>Σ e^(x[i] − m) for <c>i &lt; n</c>.</summary>
    public static float SumExpShifted(SimdLevel level, ref float x, int n, float m)
    {
        float sum = 0;
        int i = 0;
        if (level == SimdLevel.Vector256 && n >= Vector256<float>.Count)
        {
            Vector256<float> vm = Vector256.Create(m), acc = default;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc += VectorExp.Exp(Vector256.LoadUnsafe(ref x, (nuint)i) - vm);
            }

            sum = Vector256.Sum(acc);
        }

        if (level != SimdLevel.Scalar && n - i >= Vector128<float>.Count)
        {
            Vector128<float> vm = Vector128.Create(m), acc = default;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                acc += VectorExp.Exp(Vector128.LoadUnsafe(ref x, (nuint)i) - vm);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += MathF.Exp(Unsafe.Add(ref x, i) - m);
        }

        return sum;
    }

    /// <summary><c>sum[i] += e^(x[i] − m[i])</c> for <c>i &lt; n</c>.</summary>
    public static void AddExpShifted(SimdLevel level, ref float x, ref float m, ref float sum, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> e = VectorExp.Exp(Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.LoadUnsafe(ref m, (nuint)i));
                (Vector256.LoadUnsafe(ref sum, (nuint)i) + e).StoreUnsafe(ref sum, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Vector128<float> e = VectorExp.Exp(Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.LoadUnsafe(ref m, (nuint)i));
                (Vector128.LoadUnsafe(ref sum, (nuint)i) + e).StoreUnsafe(ref sum, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref sum, i) += MathF.Exp(Unsafe.Add(ref x, i) - Unsafe.Add(ref m, i));
        }
    }

    /// <summary>
    /// m + log s, the LogSumExp of a set whose max is m and whose shifted exp sum is s. An infinite m is the answer
    /// itself (−∞: every element is −∞ or the set is empty; +∞: x − m would be NaN).
    /// </summary>
    public static float ShiftedLog(float m, float s) => float.IsInfinity(m) ? m : m + MathF.Log(s);

    /// <summary>
    /// Where each output's reduced set starts (<c>Kept[o]</c>) and where its elements sit relative to that start
    /// (<c>Reduced[r]</c>), both in row-major order, written into <paramref name="scratch"/> as ints.
    /// </summary>
    public static void Offsets(ReadOnlySpan<int> dims, ReadOnlySpan<bool> isReduced, int keptCount, int reducedCount, Span<float> scratch,
        out ReadOnlySpan<int> kept, out ReadOnlySpan<int> reduced)
    {
        Span<int> table = MemoryMarshal.Cast<float, int>(scratch);
        WriteOffsets(dims, isReduced, wantReduced: false, table[..keptCount]);
        WriteOffsets(dims, isReduced, wantReduced: true, table.Slice(keptCount, reducedCount));
        kept = table[..keptCount];
        reduced = table.Slice(keptCount, reducedCount);
    }

    /// <summary>The row-major offsets of every index of the dims selected by <paramref name="wantReduced"/>, the others held at 0.</summary>
    private static void WriteOffsets(ReadOnlySpan<int> dims, ReadOnlySpan<bool> isReduced, bool wantReduced, Span<int> offsets)
    {
        // The selected dims with their strides in the whole tensor, then an odometer over them, last dim fastest.
        Span<int> size = stackalloc int[dims.Length];
        Span<int> stride = stackalloc int[dims.Length];
        Span<int> index = stackalloc int[dims.Length];
        index.Clear();
        int count = 0, s = 1;
        for (int g = dims.Length - 1; g >= 0; g--)
        {
            if (isReduced[g] == wantReduced)
            {
                size[count] = dims[g];
                stride[count++] = s;
            }

            s *= dims[g];
        }

        int offset = 0;
        for (int k = 0; k < offsets.Length; k++)
        {
            offsets[k] = offset;
            for (int d = 0; d < count; d++)
            {
                offset += stride[d];
                if (++index[d] < size[d])
                {
                    break;
                }

                offset -= stride[d] * size[d];
                index[d] = 0;
            }
        }
    }
}
