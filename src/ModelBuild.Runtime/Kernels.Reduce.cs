using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// An ONNX Reduce* over the axes set in <paramref name="axesMask"/> (bit a = axis a) of a row-major tensor.
    /// Dims of size 1 are dropped and adjacent dims that are both reduced or both kept are merged; then one of three
    /// paths runs: the reduced dims are innermost (<c>[outer, n]</c>, one SIMD fold per row, e.g. LayerNorm's mean),
    /// one reduced block with a kept contiguous block after it (<c>[outer, n, inner]</c>, SIMD across the inner block),
    /// or anything else (a scalar walk over precomputed offsets).
    /// </summary>
    /// <param name="function">The reduction.</param>
    /// <param name="x">The input, <c>Π shape</c> floats.</param>
    /// <param name="shape">The input's shape (rank ≤ <see cref="ShapeMath.MaxRank"/>).</param>
    /// <param name="axesMask">Which axes to reduce; 0 maps every element on its own (noop_with_empty_axes).</param>
    /// <param name="y">The output, one float per combination of kept indices (row-major).</param>
    /// <param name="scratch">At least <see cref="ReduceScratch"/> floats.</param>
    public static void Reduce(ReduceFunction function, ReadOnlySpan<float> x, ReadOnlySpan<int> shape, int axesMask, Span<float> y, Span<float> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shape.Length, ShapeMath.MaxRank, nameof(shape));
        var (kept, _) = ReduceCounts(shape, axesMask);
        Check.AtLeast(x.Length, ShapeMath.Product(shape), nameof(x), "Π shape");
        Check.AtLeast(y.Length, kept, nameof(y), "Π kept dims");
        Check.AtLeast(scratch.Length, ReduceScratch(shape, axesMask), nameof(scratch), "ReduceScratch(shape, axesMask)");
        Reduce(Simd.Best, function, x, shape, axesMask, y, scratch);
    }

    /// <summary>
    /// The scratch floats <see cref="Reduce(ReduceFunction, ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float}, Span{float})"/>
    /// needs: the offset tables of the general path (kept + reduced ints), the inner block's sums of a LogSumExp
    /// over a column block (inner), nothing for the rest.
    /// </summary>
    public static int ReduceScratch(ReadOnlySpan<int> shape, int axesMask)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shape.Length, ShapeMath.MaxRank, nameof(shape));
        var (kept, reduced) = ReduceCounts(shape, axesMask);
        if (kept == 0 || reduced == 0)
        {
            return 0;
        }

        var layout = ChooseLayout(shape, axesMask, kept, reduced, stackalloc int[ShapeMath.MaxRank], stackalloc bool[ShapeMath.MaxRank], out _);
        return layout.Inner == 0 ? checked((int)(kept + reduced)) : layout.Inner > 1 ? layout.Inner : 0;
    }

    internal static void Reduce(SimdLevel level, ReduceFunction function, ReadOnlySpan<float> x, ReadOnlySpan<int> shape, int axesMask, Span<float> y, Span<float> scratch)
    {
        var (keptCount, reducedCount) = ReduceCounts(shape, axesMask);
        if (keptCount == 0)
        {
            return;
        }

        if (reducedCount == 0)
        {
            Simd.Fill(y[..(int)keptCount], EmptyReduction(function));
            return;
        }

        Span<int> dims = stackalloc int[ShapeMath.MaxRank];
        Span<bool> isReduced = stackalloc bool[ShapeMath.MaxRank];
        var layout = ChooseLayout(shape, axesMask, keptCount, reducedCount, dims, isReduced, out int groups);
        var xs = x[..((int)keptCount * (int)reducedCount)];
        var ys = y[..(int)keptCount];
        switch (function)
        {
            case ReduceFunction.Sum or ReduceFunction.Mean or ReduceFunction.LogSum:
                Fold<IdentityOperator, AddOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, 0f);
                break;
            case ReduceFunction.Max or ReduceFunction.LogSumExp:
                Fold<IdentityOperator, MaxOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, float.NegativeInfinity);
                break;
            case ReduceFunction.Min:
                Fold<IdentityOperator, MinOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, float.PositiveInfinity);
                break;
            case ReduceFunction.Prod:
                Fold<IdentityOperator, MulOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, 1f);
                break;
            case ReduceFunction.L1:
                Fold<AbsOperator, AddOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, 0f);
                break;
            default: // L2, SumSquare
                Fold<SquareOperator, AddOperator>(level, xs, dims[..groups], isReduced, layout, ys, scratch, 0f);
                break;
        }

        FinishReduction(level, function, xs, dims[..groups], isReduced, layout, ys, scratch);
    }

    /// <summary>Merges the dims (<see cref="MergeRuns"/>) and picks the path they allow.</summary>
    private static ReduceLayout ChooseLayout(ReadOnlySpan<int> shape, int axesMask, long kept, long reduced, Span<int> dims, Span<bool> isReduced, out int groups)
    {
        groups = MergeRuns(shape, axesMask, dims, isReduced, out int reducedGroups);
        int inner = reducedGroups switch
        {
            0 => 1, // nothing left to fold (noop, or only size-1 axes): rows of one element
            1 => isReduced[groups - 1] ? 1 : dims[groups - 1],
            _ => 0,
        };
        return new ReduceLayout((int)kept, (int)reduced, inner);
    }

    /// <summary>
    /// Drops size-1 dims and merges neighbours that are both reduced or both kept (a [2, 1, 3, 4] input reducing
    /// axes {2, 3} becomes [2 kept, 12 reduced]); returns the number of groups. No dim may be 0.
    /// </summary>
    private static int MergeRuns(ReadOnlySpan<int> shape, int axesMask, Span<int> dims, Span<bool> isReduced, out int reducedGroups)
    {
        int groups = 0;
        reducedGroups = 0;
        for (int a = 0; a < shape.Length; a++)
        {
            bool r = ((axesMask >> a) & 1) != 0;
            if (shape[a] == 1)
            {
                continue;
            }

            if (groups > 0 && isReduced[groups - 1] == r)
            {
                dims[groups - 1] *= shape[a];
                continue;
            }

            dims[groups] = shape[a];
            isReduced[groups++] = r;
            reducedGroups += r ? 1 : 0;
        }

        return groups;
    }

    /// <summary>
    /// Reduce* of int64 values (shape arithmetic such as ReduceProd of a Shape): Sum, Prod, Max, Min, L1 and
    /// SumSquare, wrapping on overflow as integer adds do; an empty set gives 0, 1, long.MinValue, long.MaxValue
    /// (ONNX: the data type's minimum/maximum). Scalar: these tensors hold a handful of elements.
    /// </summary>
    /// <param name="function">The reduction.</param>
    /// <param name="x">The input, <c>Π shape</c> values.</param>
    /// <param name="shape">The input's shape (rank ≤ <see cref="ShapeMath.MaxRank"/>).</param>
    /// <param name="axesMask">Which axes to reduce (bit a = axis a).</param>
    /// <param name="y">The output, one value per combination of kept indices.</param>
    public static void Reduce(ReduceFunction function, ReadOnlySpan<long> x, ReadOnlySpan<int> shape, int axesMask, Span<long> y)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shape.Length, ShapeMath.MaxRank, nameof(shape));
        var (keptCount, _) = ReduceCounts(shape, axesMask);
        int count = ShapeMath.Product(shape);
        Check.AtLeast(x.Length, count, nameof(x), "Π shape");
        Check.AtLeast(y.Length, keptCount, nameof(y), "Π kept dims");
        long seed = function switch
        {
            ReduceFunction.Sum or ReduceFunction.L1 or ReduceFunction.SumSquare => 0,
            ReduceFunction.Prod => 1,
            ReduceFunction.Max => long.MinValue,
            ReduceFunction.Min => long.MaxValue,
            _ => throw new ArgumentException($"{function} of int64 values is not defined here (its result is not an integer).", nameof(function)),
        };
        Simd.Fill(y[..(int)keptCount], seed);

        // One pass over the input in order; an odometer tracks which output each element folds into.
        Span<int> index = stackalloc int[shape.Length];
        Span<int> outStride = stackalloc int[shape.Length];
        index.Clear();
        for (int a = shape.Length - 1, stride = 1; a >= 0; a--)
        {
            bool reduced = ((axesMask >> a) & 1) != 0;
            outStride[a] = reduced ? 0 : stride;
            stride *= reduced ? 1 : shape[a];
        }

        for (int i = 0, o = 0; i < count; i++)
        {
            long v = x[i];
            y[o] = function switch
            {
                ReduceFunction.Sum => unchecked(y[o] + v),
                ReduceFunction.L1 => unchecked(y[o] + (v < 0 ? -v : v)),
                ReduceFunction.SumSquare => unchecked(y[o] + (v * v)),
                ReduceFunction.Prod => unchecked(y[o] * v),
                ReduceFunction.Max => Math.Max(y[o], v),
                _ => Math.Min(y[o], v),
            };
            for (int a = shape.Length - 1; a >= 0; a--)
            {
                o += outStride[a];
                if (++index[a] < shape[a])
                {
                    break;
                }

                o -= outStride[a] * shape[a];
                index[a] = 0;
            }
        }
    }

    /// <summary>The result of reducing an empty set (the fold's seed after the post-map; ONNX's *_empty_set tests).</summary>
    internal static float EmptyReduction(ReduceFunction function) => function switch
    {
        ReduceFunction.Mean => float.NaN,
        ReduceFunction.Max or ReduceFunction.LogSum or ReduceFunction.LogSumExp => float.NegativeInfinity,
        ReduceFunction.Min => float.PositiveInfinity,
        ReduceFunction.Prod => 1f,
        _ => 0f,
    };

    private static (long Kept, long Reduced) ReduceCounts(ReadOnlySpan<int> shape, int axesMask)
    {
        long kept = 1, reduced = 1;
        for (int a = 0; a < shape.Length; a++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shape[a], nameof(shape));
            if (((axesMask >> a) & 1) != 0)
            {
                reduced *= shape[a];
            }
            else
            {
                kept *= shape[a];
            }
        }

        return (kept, reduced);
    }

    /// <summary>
    /// The post-map: Mean divides, L2 takes the root, LogSum the log; LogSumExp turns the max in <paramref name="y"/>
    /// into m + log Σ e^(x − m).
    /// </summary>
    private static void FinishReduction(SimdLevel level, ReduceFunction function, ReadOnlySpan<float> x, ReadOnlySpan<int> dims, ReadOnlySpan<bool> isReduced, in ReduceLayout layout, Span<float> y, Span<float> scratch)
    {
        ref float yr = ref MemoryMarshal.GetReference(y);
        switch (function)
        {
            case ReduceFunction.Mean:
                // A true division (not a multiply by 1/n) so the result is numpy's mean to the last bit of the sum.
                Elementwise.VS<DivOperator>(level, ref yr, layout.Reduced, ref yr, y.Length);
                break;
            case ReduceFunction.L2:
                Elementwise.Unary(level, default(SqrtOperator), y, y);
                break;
            case ReduceFunction.LogSum:
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = MathF.Log(y[i]);
                }

                break;
            case ReduceFunction.LogSumExp:
                LogSumExpFromMax(level, x, dims, isReduced, layout, y, scratch);
                break;
        }
    }

    /// <summary>
    /// How the merged dims decide the path: <see cref="Inner"/> = 1 when the reduced block is innermost, the kept
    /// inner block's length when one reduced block precedes it, 0 when the scalar offset walk must run.
    /// </summary>
    private readonly record struct ReduceLayout(int Kept, int Reduced, int Inner)
    {
        public int Outer => Kept / Inner;
    }

    /// <summary>y = fold over the reduced set of pre(x), seeded with the fold's identity.</summary>
    private static void Fold<TPre, TAcc>(SimdLevel level, ReadOnlySpan<float> x, ReadOnlySpan<int> dims, ReadOnlySpan<bool> isReduced, in ReduceLayout layout, Span<float> y, Span<float> scratch, float seed)
        where TPre : struct, IUnaryOperator
        where TAcc : struct, IBinaryOperator
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = layout.Reduced;
        if (layout.Inner == 1)
        {
            for (int o = 0; o < layout.Kept; o++)
            {
                Unsafe.Add(ref yr, o) = Reductions.FoldRow<TPre, TAcc>(level, ref Unsafe.Add(ref xr, (nint)o * n), n, seed);
            }

            return;
        }

        if (layout.Inner > 1)
        {
            int inner = layout.Inner;
            for (int o = 0; o < layout.Outer; o++)
            {
                ref float yo = ref Unsafe.Add(ref yr, (nint)o * inner);
                Simd.Fill(MemoryMarshal.CreateSpan(ref yo, inner), seed);
                for (int r = 0; r < n; r++)
                {
                    Reductions.FoldInto<TPre, TAcc>(level, ref Unsafe.Add(ref xr, ((nint)o * n + r) * inner), ref yo, inner);
                }
            }

            return;
        }

        Reductions.Offsets(dims, isReduced, layout.Kept, layout.Reduced, scratch, out var keptOffsets, out var reducedOffsets);
        TPre pre = default;
        for (int o = 0; o < layout.Kept; o++)
        {
            ref float xo = ref Unsafe.Add(ref xr, keptOffsets[o]);
            float acc = seed;
            foreach (int off in reducedOffsets)
            {
                acc = TAcc.Invoke(acc, pre.Invoke(Unsafe.Add(ref xo, off)));
            }

            Unsafe.Add(ref yr, o) = acc;
        }
    }

    /// <summary>y holds m = max x per output; makes it m + log Σ e^(x − m) (m itself when m is ±∞).</summary>
    private static void LogSumExpFromMax(SimdLevel level, ReadOnlySpan<float> x, ReadOnlySpan<int> dims, ReadOnlySpan<bool> isReduced, in ReduceLayout layout, Span<float> y, Span<float> scratch)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = layout.Reduced;
        if (layout.Inner == 1)
        {
            for (int o = 0; o < layout.Kept; o++)
            {
                float m = y[o];
                y[o] = Reductions.ShiftedLog(m, Reductions.SumExpShifted(level, ref Unsafe.Add(ref xr, (nint)o * n), n, m));
            }

            return;
        }

        if (layout.Inner > 1)
        {
            int inner = layout.Inner;
            Span<float> sums = scratch[..inner];
            for (int o = 0; o < layout.Outer; o++)
            {
                Span<float> yo = y.Slice(o * inner, inner);
                sums.Clear();
                for (int r = 0; r < n; r++)
                {
                    Reductions.AddExpShifted(level, ref Unsafe.Add(ref xr, ((nint)o * n + r) * inner), ref MemoryMarshal.GetReference(yo), ref MemoryMarshal.GetReference(sums), inner);
                }

                for (int i = 0; i < inner; i++)
                {
                    yo[i] = Reductions.ShiftedLog(yo[i], sums[i]);
                }
            }

            return;
        }

        Reductions.Offsets(dims, isReduced, layout.Kept, layout.Reduced, scratch, out var keptOffsets, out var reducedOffsets);
        for (int o = 0; o < layout.Kept; o++)
        {
            ref float xo = ref Unsafe.Add(ref xr, keptOffsets[o]);
            float m = y[o], sum = 0;
            foreach (int off in reducedOffsets)
            {
                sum += MathF.Exp(Unsafe.Add(ref xo, off) - m);
            }

            y[o] = Reductions.ShiftedLog(m, sum);
        }
    }
}
