using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Row buffers larger than this many floats (a padded input row of ~4000 columns) would not fit the stack comfortably;
    /// such windows take the scalar <see cref="Pool"/>.
    /// </summary>
    private const int MaxPoolRowFloats = 4096;

    /// <summary>
    /// 2-D max or average pooling of NCHW planes, any window, stride, dilation, padding and ceil-mode overhang, in two
    /// separable passes per output row. (1) The vertical fold of the row's taps that lie inside the input (KH rows or
    /// fewer at the edges), contiguous and vectorised, into a row buffer whose margins hold the fold's identity
    /// (−∞ / 0: padding and overhang never win and add nothing). (2) The horizontal fold of KW taps per output,
    /// vectorised over outputs: stride 1 reads the taps directly; stride 2 folds two registers of consecutive positions
    /// and keeps the even lanes (one shuffle, x86); other strides fold every position into a second buffer and pick each
    /// SW-th. Averages divide by (taps in rows) × (taps in columns), inside the input or, for count_include_pad, inside
    /// the padded input: the counts <see cref="Pool"/> divides by. Why separable: a 3×3 window costs 3 + 3 folds per
    /// output instead of 9, and both passes run on whole registers where the tap-by-tap loop was scalar.
    /// </summary>
    /// <remarks>
    /// A row of fewer outputs than a register (7×7 maps) is computed as a whole register when the floats after it are
    /// still inside this call's output: they belong to rows written later, which overwrite them. Only the call's last
    /// rows take narrower or scalar code. Bounds: reads stay inside the row buffer (margins of 2 registers + 1 past the
    /// last tap) and inside the input row's W floats.
    /// </remarks>
    /// <returns>For a fold that drops NaNs (<see cref="IPoolReduce.DropsNaN"/>): whether the input had one (rerun exactly); else false.</returns>
    internal static bool PoolRows<TR>(SimdLevel level, ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool countIncludePad)
        where TR : struct, IPoolReduce
    {
        int span = ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1;
        int rowLen = Math.Max(span, s.PadLeft + s.W) + 17;
        int pickLen = ((s.OW - 1) * s.SW) + 1 + 8;
        int countLen = s.OW + 8;
        int total = rowLen + pickLen + countLen;
        if (total > MaxPoolRowFloats)
        {
            Pool(x, y, s, batch, max: !TR.Averages, countIncludePad);
            return false;
        }

        Span<float> scratch = stackalloc float[total];
        Simd.Fill(scratch[..rowLen], TR.Identity);
        if (TR.Averages)
        {
            // Taps per output column, ≥ 1: a window with no taps has the sum 0 and must give 0, not 0/0.
            Span<float> counts = scratch.Slice(rowLen + pickLen, countLen);
            Simd.Fill(counts, 1);
            for (int ow = 0; ow < s.OW; ow++)
            {
                int w0 = (ow * s.SW) - s.PadLeft;
                (int lo, int hi) = TapRange(w0, s.DW, s.KW, s.W);
                int taps = countIncludePad ? Padded(w0, s.PadLeft, s.DW, s.KW, s.W + s.PadLeft + s.PadRight) : hi - lo;
                counts[ow] = Math.Max(taps, 1);
            }
        }

        var rows = new PoolBuffers(rowLen, pickLen);
        if (level == SimdLevel.Vector256)
        {
            return FoldPlanes<Vector256Width, Vector256<float>, TR>(x, y, s, batch, countIncludePad, scratch, rows);
        }

        if (level == SimdLevel.Vector128)
        {
            return FoldPlanes<Vector128Width, Vector128<float>, TR>(x, y, s, batch, countIncludePad, scratch, rows);
        }

        return FoldPlanes<ScalarWidth, float, TR>(x, y, s, batch, countIncludePad, scratch, rows);
    }

    /// <summary>Where the scratch's row buffer, pick buffer and column counts start.</summary>
    private readonly record struct PoolBuffers(int RowLen, int PickLen);

    /// <summary>Every plane's output rows at one vector width: each window's rows folded (<see cref="FoldRows{TW, TV, TR}"/>), then its columns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool FoldPlanes<TW, TV, TR>(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool countIncludePad,
        Span<float> scratch, PoolBuffers b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        return FoldPlanesBody<TW, TV, TR>(x, y, in s, batch, countIncludePad, scratch, b);
    }

    // FoldPlanes's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FoldPlanesBody<TW, TV, TR>(ReadOnlySpan<float> x, Span<float> y, in Pool2DShape s, int batch, bool countIncludePad,
        Span<float> scratch, PoolBuffers b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        ref float v = ref MemoryMarshal.GetReference(scratch);
        ref float interior = ref Unsafe.Add(ref v, s.PadLeft);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int hw = s.H * s.W, p = s.OH * s.OW;
        long end = (long)batch * s.C * p;
        TV nan = default;
        for (int plane = 0; plane < batch * s.C; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x0, (nint)plane * hw);
            for (int oh = 0; oh < s.OH; oh++)
            {
                int h0 = (oh * s.SH) - s.PadTop;

                // Rows wholly inside skip TapRange's two divisions.
                (int lo, int hi) = h0 >= 0 && h0 + ((s.KH - 1) * s.DH) < s.H ? (0, s.KH) : TapRange(h0, s.DH, s.KH, s.H);
                if (hi > lo)
                {
                    FoldRows<TW, TV, TR>(ref Unsafe.Add(ref xp, (h0 + (lo * s.DH)) * s.W), hi - lo, s.DH * s.W, s.W, ref interior, ref nan);
                }
                else
                {
                    Simd.Fill(scratch.Slice(s.PadLeft, s.W), TR.Identity);
                }

                float rowTaps = 1;
                if (TR.Averages)
                {
                    rowTaps = Math.Max(1, countIncludePad ? Padded(h0, s.PadTop, s.DH, s.KH, s.H + s.PadTop + s.PadBottom) : hi - lo);
                }

                long at = ((long)plane * p) + ((long)oh * s.OW);
                var row = new PoolRow(rowTaps, end - at >= TW.Count);
                FoldColumns<TW, TV, TR>(scratch, b, s, row, ref Unsafe.Add(ref y0, (nint)at));
            }
        }

        return TR.DropsNaN && FastMaxPoolReduce.AnyNaN(nan);
    }

    /// <summary>The divisor's row factor (averages) and whether a whole register may be stored past the row's last output.</summary>
    private readonly record struct PoolRow(float RowTaps, bool Spill);

    /// <summary><c>dst[c] = fold over r &lt; rows of row[r·stride + c]</c> for c &lt; w; a last partial register is shifted back to end at w.</summary>
    /// <remarks>With <see cref="IPoolReduce.DropsNaN"/>, every register loaded is flagged into <paramref name="nan"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FoldRows<TW, TV, TR>(ref float row, int rows, int stride, int w, ref float dst, ref TV nan)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        if (w < TW.Count)
        {
            // Scalar columns: flag through a scalar accumulator folded into lane 0 of the vector flags.
            float scalarNaN = 0;
            FoldRows<ScalarWidth, float, TR>(ref row, rows, stride, w, ref dst, ref scalarNaN);
            if (TR.DropsNaN && float.IsNaN(scalarNaN))
            {
                nan = TW.Broadcast(float.NaN);
            }

            return;
        }

        int last = w - TW.Count;
        for (int c = 0; ; c = Math.Min(c + TW.Count, last))
        {
            TV m = TW.Load(ref row, c);
            if (TR.DropsNaN)
            {
                nan = FastMaxPoolReduce.FlagNaN<TW, TV>(nan, m);
            }

            for (int r = 1; r < rows; r++)
            {
                TV next = TW.Load(ref row, ((nint)r * stride) + c);
                if (TR.DropsNaN)
                {
                    nan = FastMaxPoolReduce.FlagNaN<TW, TV>(nan, next);
                }

                m = PoolFold.Apply<TW, TV, TR>(m, next);
            }

            TW.Store(m, ref dst, c);
            if (c == last)
            {
                break;
            }
        }
    }

    /// <summary>The horizontal pass of one output row from the row buffer (see <see cref="PoolRows{TR}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FoldColumns<TW, TV, TR>(Span<float> scratch, PoolBuffers b, in Pool2DShape s, PoolRow row, ref float o)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        ref float v = ref MemoryMarshal.GetReference(scratch);
        ref float counts = ref Unsafe.Add(ref v, b.RowLen + b.PickLen);
        int n = s.OW, kw = s.KW, dw = s.DW;
        if (n < TW.Count && !row.Spill)
        {
            FoldColumns<ScalarWidth, float, TR>(scratch, b, s, row, ref o);
            return;
        }

        int last = Math.Max(n - TW.Count, 0);
        if (s.SW == 1 || TW.Count == 1)
        {
            for (int i = 0; ; i = Math.Min(i + TW.Count, last))
            {
                TW.Store(Finish<TW, TV, TR>(Taps<TW, TV, TR>(ref Unsafe.Add(ref v, i * s.SW), kw, dw), ref counts, i, row), ref o, i);
                if (i == last)
                {
                    break;
                }
            }

            return;
        }

        if (s.SW == 2 && (typeof(TV) == typeof(Vector256<float>) ? Avx2.IsSupported : Sse.IsSupported))
        {
            for (int i = 0; ; i = Math.Min(i + TW.Count, last))
            {
                ref float at = ref Unsafe.Add(ref v, 2 * i);
                TV even = EvenLanes(Taps<TW, TV, TR>(ref at, kw, dw), Taps<TW, TV, TR>(ref Unsafe.Add(ref at, TW.Count), kw, dw));
                TW.Store(Finish<TW, TV, TR>(even, ref counts, i, row), ref o, i);
                if (i == last)
                {
                    break;
                }
            }

            return;
        }

        // Other strides: every position's fold (whole registers; the pick buffer has a register of slack), then each SW-th.
        ref float pick = ref Unsafe.Add(ref v, b.RowLen);
        int positions = ((n - 1) * s.SW) + 1;
        int lastPosition = Math.Max(positions - TW.Count, 0);
        for (int j = 0; ; j = Math.Min(j + TW.Count, lastPosition))
        {
            TW.Store(Taps<TW, TV, TR>(ref Unsafe.Add(ref v, j), kw, dw), ref pick, j);
            if (j == lastPosition)
            {
                break;
            }
        }

        for (int i = 0; i < n; i++)
        {
            Unsafe.Add(ref o, i) = Finish<ScalarWidth, float, TR>(Unsafe.Add(ref pick, i * s.SW), ref counts, i, row);
        }
    }

    /// <summary>The fold of the KW taps <c>at[kw·DW]</c>, one register of consecutive window starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Taps<TW, TV, TR>(ref float at, int taps, int dilation)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        TV m = TW.Load(ref at, 0);
        for (int kw = 1; kw < taps; kw++)
        {
            m = PoolFold.Apply<TW, TV, TR>(m, TW.Load(ref at, kw * dilation));
        }

        return m;
    }

    /// <summary>Averages: the sum divided by its taps, (row taps) × (column taps of outputs i…); maxima unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Finish<TW, TV, TR>(TV folded, ref float counts, int i, PoolRow row)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        // Both factors are small integers, so their product is exact and the quotient rounds once, as Pool's acc / count.
        return TR.Averages ? TW.Divide(folded, TW.Multiply(TW.Broadcast(row.RowTaps), TW.Load(ref counts, i))) : folded;
    }

    /// <summary>Lanes 0, 2, 4, … of <paramref name="lo"/> then of <paramref name="hi"/> (x86 only; callers check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV EvenLanes<TV>(TV lo, TV hi)
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>))
        {
            Vector256<float> a = (Vector256<float>)(object)lo, c = (Vector256<float>)(object)hi;

            // Per 128-bit lane: evens of a then of c, i.e. a0 a2 c0 c2 | a4 a6 c4 c6; swapping the middle 64-bit pairs orders them.
            Vector256<float> r = Simd.SwapMiddlePairs(Avx.Shuffle(a, c, 0b10_00_10_00));
            return (TV)(object)r;
        }

        Vector128<float> a4 = (Vector128<float>)(object)lo, c4 = (Vector128<float>)(object)hi;
        return (TV)(object)Sse.Shuffle(a4, c4, 0b10_00_10_00);
    }
}
