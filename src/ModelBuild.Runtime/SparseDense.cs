using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over a sparse weight kept as CSR (<see cref="SparseWeights"/>): only the nonzeros are read and multiplied.
/// Fewer than <see cref="PanelRows"/> input rows: per weight row and input row a dot product over the row's
/// nonzeros, x gathered by column (AVX2: 8 columns per vgatherdps, two accumulators; else scalar). From
/// <see cref="PanelRows"/> rows on AVX2: x is transposed into panels of 8·m rows (<c>xt[k][rows]</c>) and each
/// nonzero (j, c, v) adds v·xt[c] to m vector accumulators of output channel j (sparse × dense, no gathers).
/// </summary>
internal static class SparseDense
{
    /// <summary>Input rows from which the transposed panel kernel runs.</summary>
    public const int PanelRows = 8;

    [ThreadStatic]
    private static float[]? t_panel;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, SparseWeights w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
    {
        RunBody(level, x, w, bias, y, rows, act);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(SimdLevel level, ReadOnlySpan<float> x, SparseWeights w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
    {
        var ep = new Epilogue(bias, act);
        bool avx2 = level == SimdLevel.Vector256 && Avx2.IsSupported;
        int done = 0;
        if (avx2 && rows >= PanelRows)
        {
            done = Panels(x, w, y, rows, ep);
        }

        int n = w.Rows, k = w.Cols;
        for (int j = 0; j < n; j++)
        {
            int start = w.RowStart[j], count = w.RowStart[j + 1] - start;
            ReadOnlySpan<ushort> columns = w.Columns.AsSpan(start, count);
            ReadOnlySpan<float> values = w.Values.AsSpan(start, count);
            for (int r = done; r < rows; r++)
            {
                ReadOnlySpan<float> xr = x.Slice(r * k, k);
                float dot = avx2 ? GatherDot(xr, columns, values) : ScalarDot(xr, columns, values);
                y[(r * n) + j] = ep.Apply(j, dot, 0);
            }
        }
    }

    /// <summary>The definition: Σ values[i]·x[columns[i]] in order.</summary>
    private static float ScalarDot(ReadOnlySpan<float> x, ReadOnlySpan<ushort> columns, ReadOnlySpan<float> values)
    {
        float sum = 0;
        for (int i = 0; i < columns.Length; i++)
        {
            sum += values[i] * x[columns[i]];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe float GatherDot(ReadOnlySpan<float> x, ReadOnlySpan<ushort> columns, ReadOnlySpan<float> values)
    {
        return GatherDotBody(x, columns, values);
    }

    // GatherDot's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float GatherDotBody(ReadOnlySpan<float> x, ReadOnlySpan<ushort> columns, ReadOnlySpan<float> values)
    {
        ref ushort c0 = ref MemoryMarshal.GetReference(columns);
        ref float v0 = ref MemoryMarshal.GetReference(values);
        Vector256<float> a = default, b = default;
        int i = 0;
        fixed (float* px = x)
        {
            // Two accumulators: a gather's latency is long, so two independent chains keep the loads in flight.
            for (; i <= columns.Length - 16; i += 16)
            {
                Vector256<int> ia = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c0, (nuint)i));
                Vector256<int> ib = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c0, (nuint)(i + 8)));
                a = Simd.MulAdd(Avx2.GatherVector256(px, ia, 4), Vector256.LoadUnsafe(ref v0, (nuint)i), a);
                b = Simd.MulAdd(Avx2.GatherVector256(px, ib, 4), Vector256.LoadUnsafe(ref v0, (nuint)(i + 8)), b);
            }

            for (; i <= columns.Length - 8; i += 8)
            {
                Vector256<int> ia = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c0, (nuint)i));
                a = Simd.MulAdd(Avx2.GatherVector256(px, ia, 4), Vector256.LoadUnsafe(ref v0, (nuint)i), a);
            }
        }

        float sum = Vector256.Sum(a + b);
        for (; i < columns.Length; i++)
        {
            sum += Unsafe.Add(ref v0, i) * x[Unsafe.Add(ref c0, i)];
        }

        return sum;
    }

    /// <summary>Rows in panels of 64 then 8 (AVX2); returns the rows done (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Panels(ReadOnlySpan<float> x, SparseWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        return PanelsBody(x, w, y, rows, in ep);
    }

    // Panels's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PanelsBody(ReadOnlySpan<float> x, SparseWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        int r = 0;
        for (; r <= rows - 64; r += 64)
        {
            Panel<Eight>(x, w, y, r, ep);
        }

        for (; r <= rows - 8; r += 8)
        {
            Panel<One>(x, w, y, r, ep);
        }

        return r;
    }

    /// <summary>Rows r0 … r0 + 8·TM.Count − 1: x transposed into a scratch panel, then per output channel TM.Count accumulators over its nonzeros.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Panel<TM>(ReadOnlySpan<float> x, SparseWeights w, Span<float> y, int r0, in Epilogue ep)
        where TM : struct, IVectorCount
    {
        Span<float> sums = stackalloc float[64];
        PanelBody<TM>(x, w, y, r0, in ep, sums);
    }

    // Panel's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelBody<TM>(ReadOnlySpan<float> x, SparseWeights w, Span<float> y, int r0, in Epilogue ep, Span<float> sums)
        where TM : struct, IVectorCount
    {
        int k = w.Cols, n = w.Rows, width = 8 * TM.Count;
        Span<float> panel = ThreadScratch.Get(ref t_panel, width * k);
        for (int t = 0; t < width; t++)
        {
            ReadOnlySpan<float> row = x.Slice((r0 + t) * k, k);
            for (int i = 0, at = t; i < k; i++, at += width)
            {
                panel[at] = row[i];
            }
        }

        ref float xt = ref MemoryMarshal.GetReference(panel);
        for (int j = 0; j < n; j++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int i = w.RowStart[j]; i < w.RowStart[j + 1]; i++)
            {
                var v = Vector256.Create(w.Values[i]);
                ref float col = ref Unsafe.Add(ref xt, w.Columns[i] * width);
                a0 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col), a0);
                if (TM.Count == 8)
                {
                    a1 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 8), a1);
                    a2 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 16), a2);
                    a3 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 24), a3);
                    a4 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 32), a4);
                    a5 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 40), a5);
                    a6 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 48), a6);
                    a7 = Simd.MulAdd(v, Vector256.LoadUnsafe(ref col, 56), a7);
                }
            }

            a0.StoreUnsafe(ref sums[0]);
            if (TM.Count == 8)
            {
                a1.StoreUnsafe(ref sums[8]);
                a2.StoreUnsafe(ref sums[16]);
                a3.StoreUnsafe(ref sums[24]);
                a4.StoreUnsafe(ref sums[32]);
                a5.StoreUnsafe(ref sums[40]);
                a6.StoreUnsafe(ref sums[48]);
                a7.StoreUnsafe(ref sums[56]);
            }

            for (int t = 0; t < width; t++)
            {
                y[((r0 + t) * n) + j] = ep.Apply(j, sums[t], 0);
            }
        }
    }

    /// <summary>Vectors of 8 rows per panel, as a type so the accumulator count is a JIT-time constant.</summary>
    private interface IVectorCount
    {
        static abstract int Count { get; }
    }

    private readonly struct One : IVectorCount
    {
        public static int Count => 1;
    }

    private readonly struct Eight : IVectorCount
    {
        public static int Count => 8;
    }
}
