using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>The kernels generated predictors call (CONTRACTS.md §3). Public entry points check lengths once.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public static partial class Kernels
{
    /// <summary>Fully connected layer: <c>y[r,j] = act(Σ_k x[r,k]·W[j,k] + bias[j])</c> for every row r.</summary>
    /// <param name="x">Inputs, <c>rows × w.Cols</c> floats (rows already include the batch).</param>
    /// <param name="w">The weight matrix, <c>n × k</c>, any format.</param>
    /// <param name="bias">n floats, or empty for none.</param>
    /// <param name="y">Outputs, <c>rows × w.Rows</c> floats.</param>
    /// <param name="rows">Number of input rows (rows per sample × batch).</param>
    /// <param name="act">The fused activation.</param>
    public static void Dense(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
        => Dense(x, w, bias, y, rows, act, threads: 1);

    /// <summary>As <see cref="Dense(ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, int, Activation)"/>, splitting a batched call (≥ 8 rows) over up to <paramref name="threads"/> threads; results are identical for every thread count.</summary>
    internal static void Dense(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        Check.AtLeast(x.Length, (long)rows * w.Cols, nameof(x), "rows × w.Cols");
        Check.AtLeast(y.Length, (long)rows * w.Rows, nameof(y), "rows × w.Rows");
        Check.BiasLength(bias, w.Rows);
        Dense(Simd.Best, x, w, bias, y, rows, act, threads);
    }

    internal static void Dense(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
        => Dense(level, x, w, bias, y, rows, act, threads: 1);

    /// <summary>As the public overload, with up to <paramref name="threads"/> threads for batched calls (<see cref="IntraOp"/>).</summary>
    internal static void Dense(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        // Compact weights first: their own batched paths keep memory at their stored size (no float panels).
        if (w.Sparse is { } sparse)
        {
            SparseDense.Run(level, x, sparse, bias, y, rows, act);
            return;
        }

        // Int8 and 4-bit codes on fixed-point inputs (AVX2); false for inputs it leaves to the float GEMMs.
        if (FixedPointGemm.Applies(level, rows, w) && FixedPointGemm.Run(x, w, bias, y, rows, act, threads))
        {
            return;
        }

        if (DirectGemm.Applies(level, rows, w))
        {
            DirectGemm.Run(level, x, w.DecodedRows!, bias, y, rows, act, threads);
            return;
        }

        if (w.Half is { } half)
        {
            HalfDense(level, x, half, bias, y, rows, act);
            return;
        }

        if (DenseGemm.Applies(level, rows, w))
        {
            DenseGemm.Run(level, x, w, bias, y, rows, act, threads);
            return;
        }

        if (w.Direct is { } direct)
        {
            DirectDense.Run(level, x, direct, bias, y, rows, act);
            return;
        }

        if (threads > 1 && DenseGemvParallel.Applies(level, w, rows) && DenseGemvParallel.Run(level, x, w, bias, y, rows, act, threads))
        {
            return;
        }

        switch (w.Format)
        {
            case WeightFormat.Float32:
                DenseCore<Float32Loader>(level, x, w, bias, y, rows, act);
                break;
            case WeightFormat.Int8:
                DenseCore<Int8Loader>(level, x, w, bias, y, rows, act);
                break;
            default:
                DenseCore<Int8AsymLoader>(level, x, w, bias, y, rows, act);
                break;
        }
    }

    private static void DenseCore<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
        where TL : struct, IWeightLoader
        => DenseCore<TL>(level, x, w, bias, y, rows, act, 0, w.Rows);

    /// <summary>
    /// Outputs j0 ≤ j &lt; j1 of every row (all of them unless a thread's share, <see cref="DenseGemvParallel"/>: j0 a
    /// multiple of 4 and j1 too unless it is n). Each output is one 4-row block's dot product, the same for any range.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void DenseCore<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int j0, int j1)
        where TL : struct, IWeightLoader
    {
        Span<float> s = stackalloc float[10];
        DenseCoreBody<TL>(level, x, w, bias, y, rows, act, j0, j1, s);
    }

    // DenseCore's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DenseCoreBody<TL>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int j0, int j1, Span<float> s)
        where TL : struct, IWeightLoader
    {
        int n = w.Rows, k = w.Cols;
        var ep = new Epilogue(w, bias, act);
        if (level == SimdLevel.Scalar)
        {
            DenseScalar<TL>(x, w, ep, y, rows);
            return;
        }

        // Int8 for 1–7 input rows on fixed-point inputs (AVX2 + FMA); false for inputs it leaves to the float kernels below.
        if ((typeof(TL) == typeof(Int8Loader) || typeof(TL) == typeof(Int8AsymLoader)) && FixedPointGemv.Applies(level, rows, w) && FixedPointGemv.Run(x, w, in ep, y, rows, j0, j1))
        {
            return;
        }

        if (rows >= DenseBatch.MinRows && w.Format != WeightFormat.Float32)
        {
            DenseBatch.Run<TL>(level, x, w, y, rows, ep);
            return;
        }

        ref float x0 = ref MemoryMarshal.GetReference(x);
        int j = j0;
        bool zmmHead = DenseBlocks.ZmmHead(level, k, (long)rows * (j1 - j0) * k);
        bool prefetch = RowPrefetch.For(n, Unsafe.ByteOffset(ref TL.Row(w, 0), ref TL.Row(w, Math.Min(1, n - 1))));

        // Output rows outermost, four at a time: those four weight rows stay in L1 while every input row of
        // the batch streams past them, so weights (the large operand) are read from memory once.
        for (; j <= j1 - 4; j += 4)
        {
            ref byte w0 = ref TL.Row(w, j);
            ref byte w1 = ref TL.Row(w, j + 1);
            ref byte w2 = ref TL.Row(w, j + 2);
            ref byte w3 = ref TL.Row(w, j + 3);
            int r = 0;
            for (; r <= rows - 2; r += 2)
            {
                ref float xa = ref Unsafe.Add(ref x0, (nint)r * k);
                DenseBlocks.Block4x2<TL>(level, ref xa, ref Unsafe.Add(ref xa, k), ref w0, ref w1, ref w2, ref w3, k, s);
                ep.ApplyChannels4(j, Vector128.Create(s), s[8]).CopyTo(y.Slice((r * n) + j, 4));
                ep.ApplyChannels4(j, Vector128.Create(s[4..]), s[9]).CopyTo(y.Slice(((r + 1) * n) + j, 4));
            }

            if (r < rows)
            {
                DenseBlocks.Block4x1<TL>(level, ref Unsafe.Add(ref x0, (nint)r * k), ref w0, ref w1, ref w2, ref w3, k, s, zmmHead, prefetch);
                ep.ApplyChannels4(j, Vector128.Create(s), s[8]).CopyTo(y.Slice((r * n) + j, 4));
            }
        }

        for (; j < j1; j++)
        {
            ref byte wj = ref TL.Row(w, j);
            for (int r = 0; r < rows; r++)
            {
                float dot = DenseBlocks.Dot<TL>(level, ref Unsafe.Add(ref x0, (nint)r * k), ref wj, k, out float sumX);
                y[(r * n) + j] = ep.Apply(j, dot, sumX);
            }
        }
    }

    /// <summary>fp16/bf16 weights below the batched path: 4 rows widened at a time, or at the scalar level one row and plain dots.</summary>
    private static void HalfDense(SimdLevel level, ReadOnlySpan<float> x, Formats.HalfWeights w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act)
    {
        var ep = new Epilogue(bias, act);
        if (level != SimdLevel.Scalar)
        {
            DirectDense.RunDecoded(level, x, w, y, rows, ep);
            return;
        }

        int n = w.Rows, k = w.Cols;
        var row = new float[k];
        for (int j = 0; j < n; j++)
        {
            w.DecodeRow(level, j, row);
            for (int r = 0; r < rows; r++)
            {
                float dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += x[(r * k) + i] * row[i];
                }

                y[(r * n) + j] = ep.Apply(j, dot, 0);
            }
        }
    }

    /// <summary>The plain definition the vector paths are tested against (and the no-SIMD fallback).</summary>
    private static void DenseScalar<TL>(ReadOnlySpan<float> x, WeightMatrix w, Epilogue ep, Span<float> y, int rows)
        where TL : struct, IWeightLoader
    {
        int n = w.Rows, k = w.Cols;
        for (int j = 0; j < n; j++)
        {
            ref byte row = ref TL.Row(w, j);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> xr = x.Slice(r * k, k);
                float dot = 0, sumX = 0;
                for (int i = 0; i < xr.Length; i++)
                {
                    dot += xr[i] * TL.Get(ref row, i);
                    sumX += xr[i];
                }

                y[(r * n) + j] = ep.Apply(j, dot, sumX);
            }
        }
    }
}
