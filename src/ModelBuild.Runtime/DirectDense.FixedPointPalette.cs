using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// 16-entry palettes whose book steps lie within 127 of each other (<see cref="DirectWeights.BiasedSteps"/>: every
/// palette on the narrow int8 grid) at batch 1–3 on AVX2 without AVX-512, in integers as <see cref="FixedPoint4"/>
/// does for linear codes: one <c>vpshufb</c> per 32 codes looks up u = k − min k (0–127) of the row's book, and u times
/// x's two signed bytes (x̂ = 128·hi + lo, both within ±64: <see cref="FixedPointInputs.QuantizeNarrower"/>) is summed
/// exactly with <c>vpmaddubsw</c>; Σ k·x̂ = Σ u·x̂ + (min k)·Σx̂, all in int32.
/// </summary>
/// <remarks>
/// Bounds: a pair of products is at most 2·127·64, so the two pairs of a 64-column chunk (low and high nibbles) share
/// one int16 sum per half, widened once per chunk (<c>vpmaddwd</c>); a segment of at most 256 columns sums to under
/// 2^28 in int32, min k·Σx̂ (≤ 2^28) is added to it, and the sum is rounded once to float when scaled by its step. Per 64 codes of a row: one load, three operations
/// to split nibbles, two lookups, four multiplies, two int16 adds, two widenings and two int32 adds, against
/// <see cref="BiasedGridPalette16Gemv"/>'s 6 shuffles, 4 shift/mask operations and 8 FMAs (an x split into a byte and
/// its 256ths, with lo up to ±128, needed a widening per pair: 5 % slower on the wide MLP). The rounding of x gives the
/// error Σ|k·s|·|x − x̂| with |x − x̂| ≤ 2^−13 of the step block's largest |x|. That bound is relative to the block's
/// largest input whatever the weights: unlike <see cref="FixedPoint4"/>, which leaves matrices with exact-zero codes to
/// the float kernel, a palette whose entry 0 marks pruned weights still takes this kernel, so a huge input on a pruned
/// column coarsens its block's step (the float kernels' Σx corrections lose such a weight's exactness too, by less).
/// </remarks>
internal static partial class DirectDense
{
    /// <summary>Whether <see cref="FixedPointPalette"/> takes these weights on this machine.</summary>
    internal static bool FixedPointPaletteTakes(DirectWeights w) =>
        Avx2.IsSupported && !Wide512.Enabled && w.IsPalette && w.Bits == 4 && w.BiasedSteps.Length != 0 && w.BlockCodes == 16 && w.Cols % 16 == 0;

    /// <summary>y = x·Wᵀ (then the epilogue) for <paramref name="rows"/> ≤ <see cref="MaxDirectRows"/> input rows of 4-bit palette codes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void FixedPointPalette(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        if (VnniSwitch.Use((long)rows * w.Rows * w.Cols))
        {
            FixedPointPaletteVnni(x, w, y, rows, in ep);
        }
        else
        {
            FixedPointPaletteBody(x, w, y, rows, in ep, vnni: false);
        }
    }

    /// <summary>
    /// <see cref="FixedPointPalette"/> through AVX-VNNI (<see cref="VnniSwitch"/>): the looked-up steps times x's bytes go
    /// straight into int32 lanes with <c>vpdpbusd</c>, where the AVX2 form takes a <c>vpmaddubsw</c>, an int16 add, a
    /// <c>vpmaddwd</c> widening and an int32 add per two. Lane j sums the same four byte products in both forms, so they
    /// give the same integers and floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FixedPointPaletteVnni(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        FixedPointPaletteBody(x, w, y, rows, in ep, vnni: true);
    }

    // FixedPointPalette's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FixedPointPaletteBody(
        ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        int n = w.Rows, k = w.Cols, chunks = (k + FixedChunk - 1) / FixedChunk;
        if (!FixedInputs(x, rows, k, 7, out Span<sbyte> xs, out int xBytes, out Span<float> steps, out int blocks, out Span<int> chunkSums))
        {
            BiasedGridPalette16Gemv.Run(x, w, y, rows, ep);
            return;
        }

        ref byte biased = ref MemoryMarshal.GetArrayDataReference(w.BiasedSteps);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        for (int j = 0; j < n; j += 2)
        {
            // Two weight rows per pass over x (the second repeats the first at an odd last row; its result is dropped).
            int j1 = Math.Min(j + 1, n - 1), book0 = j / w.RowsPerBook, book1 = j1 / w.RowsPerBook;
            Vector256<byte> t0 = LowSteps(ref biased, book0), t1 = LowSteps(ref biased, book1);
            ref byte c0 = ref Unsafe.Add(ref w.CodeStart, (nint)j * w.RowBytes);
            ref byte c1 = ref Unsafe.Add(ref w.CodeStart, (nint)j1 * w.RowBytes);
            int min0 = w.MinStep(book0), min1 = w.MinStep(book1);
            for (int r = 0; r < rows; r++)
            {
                (float d0, float d1) = PaletteRows2(ref c0, ref c1, t0, t1, min0, min1, ref xs[r * xBytes], ref steps[r * blocks], ref chunkSums[r * chunks], k, w.RowBytes, prefetch, vnni);
                y[(r * n) + j] = ep.Apply(j, w.GridScales[book0] * d0, 0);
                if (j1 > j)
                {
                    y[(r * n) + j1] = ep.Apply(j1, w.GridScales[book1] * d1, 0);
                }
            }
        }
    }

    /// <summary>Book <paramref name="book"/>'s k − min k (0–127) in both 128-bit lanes: its biased steps u (all ≥ 128) less 128; min k = base + 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> LowSteps(ref byte biased, int book) =>
        GridPalette16Gemv.Table(ref Unsafe.As<byte, sbyte>(ref biased), book).AsByte() & Vector256.Create((byte)0x7F);

    /// <summary>
    /// Σ k·x̂ of two weight rows in x's units: Σ u·x̂ (u = k − min k looked up in <paramref name="t0"/> and
    /// <paramref name="t1"/>) plus min k·Σx̂, per segment in exact int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (float, float) PaletteRows2(
        ref byte c0, ref byte c1, Vector256<byte> t0, Vector256<byte> t1, int min0, int min1, ref sbyte xs, ref float steps, ref int chunkSums, int k, nint rowBytes, bool prefetch,
        [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        byte* next = RowPrefetch.Next(ref c0, 2, rowBytes);
        Vector256<float> a0 = default, a1 = default;
        for (int start = 0; start < k; start += FixedPointInputs.BlockSize)
        {
            int end = Math.Min(k, start + FixedPointInputs.BlockSize);
            Vector256<int> hi0 = default, lo0 = default, hi1 = default, lo1 = default;

            // Whole 64-column chunks with plain loads; a row's last, partial chunk (if any) with a masked one.
            int at = start;
            for (int full = Math.Min(end, k & ~(FixedChunk - 1)); at < full; at += FixedChunk)
            {
                nint bytes = (nint)((uint)at / 2);
                if (prefetch)
                {
                    RowPrefetch.Step(next, 2 * bytes, 64);
                }

                ref sbyte xc = ref Unsafe.Add(ref xs, 2 * at);
                LookedUpProducts(Vector256.LoadUnsafe(ref c0, (nuint)bytes), t0, ref xc, ref hi0, ref lo0, vnni);
                LookedUpProducts(Vector256.LoadUnsafe(ref c1, (nuint)bytes), t1, ref xc, ref hi1, ref lo1, vnni);
            }

            if (at < end)
            {
                nint bytes = at / 2;
                ref sbyte xc = ref Unsafe.Add(ref xs, 2 * at);
                LookedUpProducts(Codes32(ref c0, bytes, k - at), t0, ref xc, ref hi0, ref lo0, vnni);
                LookedUpProducts(Codes32(ref c1, bytes, k - at), t1, ref xc, ref hi1, ref lo1, vnni);
            }

            int sumX = SegmentSum(ref chunkSums, start, end);

            var step = Vector256.Create(Unsafe.Add(ref steps, start / FixedPointInputs.BlockSize));
            a0 = Simd.MulAdd(Avx.ConvertToVector256Single(Vector256.ShiftLeft(hi0, 7) + lo0 + Vector256.CreateScalar(min0 * sumX)), step, a0);
            a1 = Simd.MulAdd(Avx.ConvertToVector256Single(Vector256.ShiftLeft(hi1, 7) + lo1 + Vector256.CreateScalar(min1 * sumX)), step, a1);
        }

        return (Simd.ShortSum(a0), Simd.ShortSum(a1));
    }

    /// <summary>
    /// One row's 64 looked-up steps times x's hi and lo halves (the chunk's 128 prepared bytes at
    /// <paramref name="xc"/>, read as memory operands: in registers they left too few for the tables and constants,
    /// which the loop then reloaded every chunk), widened into its int32 sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LookedUpProducts(
        Vector256<byte> v, Vector256<byte> table, ref sbyte xc, ref Vector256<int> hi, ref Vector256<int> lo, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        var nibble = Vector256.Create((byte)15);
        var one = Vector256.Create((short)1);
        Vector256<byte> low = Avx2.Shuffle(table, v & nibble);
        Vector256<byte> high = Avx2.Shuffle(table, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);
        if (vnni)
        {
            hi = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(hi, low, Vector256.LoadUnsafe(ref xc)), high, Vector256.LoadUnsafe(ref xc, 64));
            lo = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(lo, low, Vector256.LoadUnsafe(ref xc, 32)), high, Vector256.LoadUnsafe(ref xc, 96));
        }
        else
        {
            hi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref xc)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref xc, 64)), one);
            lo += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref xc, 32)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref xc, 96)), one);
        }
    }
}
