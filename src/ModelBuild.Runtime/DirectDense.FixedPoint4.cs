using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Linear 4-bit codes at batch 1–3 on AVX2 without AVX-512 in integers: x is rounded once per call to 16-bit fixed
/// point (<see cref="FixedPointInputs.QuantizeNarrow"/>: one power-of-two step per 256 inputs, |x − x̂| ≤ 2^−14 of the
/// block's largest |x|) and split into two signed bytes, x̂ = 256·hi + lo with |hi| ≤ 64 and lo in [−128, 127]. The
/// codes (unsigned, 0–15) multiply both halves with <c>vpmaddubsw</c>, 32 byte products per instruction, summed exactly
/// in int16 lanes over up to 256 columns and widened once per such segment; so 64 codes of a row cost one load, three
/// operations to split nibbles, four multiplies and four adds, where the float kernels' prefixes
/// (<see cref="PrefixRows4"/>) take a mask, a convert and an FMA per 8 codes, int8's count over half the bytes.
/// </summary>
/// <remarks>
/// <para>
/// Layout: byte i of a row's 8-byte block holds the codes of columns i (low nibble) and i + 8 (high nibble) of the
/// block's 16, so 32 bytes (4 blocks, 64 columns) give a low-nibble vector for columns 16b + i and a high-nibble one for
/// 16b + 8 + i; <see cref="SplitInputs"/> lays x's halves out in those two orders. Bounds: a pair of products is at
/// most 2·15·64 (hi) and 2·15·128 (lo), 8 pairs per lane per segment, so the int16 sums stay below 2^15; a segment's
/// Σ c·x̂ (≤ 256·15·2^14 ≈ 2^26) less offset·Σx̂ (Σx̂ per 64 columns, once per call) is exact in int32 and rounded once
/// to float when it is scaled by the block's step; so the result is Σ w·x̂ up to float32 rounding of a few sums, and
/// its error against Σ w·x at most Σ|w|·|x − x̂|.
/// </para>
/// <para>
/// Taken when the columns are whole 16-code blocks and scale groups are whole 64-column chunks (or one per row), and no
/// group has offset 0 (<see cref="DirectWeights.HasZeroOffset"/>: there code 0 is an exact zero weight, and a huge
/// input on such a column must not cost the other columns of its step block their precision, as the unshifted float
/// kernel guarantees); a call whose input holds a NaN or an infinity takes the float kernel, which propagates them.
/// </para>
/// </remarks>
internal static partial class DirectDense
{
    private const int FixedChunk = 64;

    [ThreadStatic]
    private static sbyte[]? t_fixedX;

    [ThreadStatic]
    private static short[]? t_fixedCodes;

    [ThreadStatic]
    private static float[]? t_fixedSteps;

    [ThreadStatic]
    private static int[]? t_fixedSums;

    /// <summary>Whether <see cref="FixedPoint4"/> takes these weights on this machine.</summary>
    internal static bool FixedPoint4Takes(DirectWeights w) =>
        Avx2.IsSupported && !Wide512.Enabled && !w.IsPalette && w.Bits == 4 && w.BlockCodes == 16 && w.Cols % 16 == 0
        && (w.GroupsPerRow == 1 || w.Group % FixedChunk == 0) && !w.HasZeroOffset;

    /// <summary>y = x·Wᵀ (then the epilogue) for <paramref name="rows"/> ≤ <see cref="MaxDirectRows"/> input rows of 4-bit linear codes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void FixedPoint4(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        FixedPoint4Body(x, w, y, rows, in ep);
    }

    // FixedPoint4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FixedPoint4Body(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        int n = w.Rows, k = w.Cols, chunks = (k + FixedChunk - 1) / FixedChunk;
        if (!FixedInputs(x, rows, k, 8, out Span<sbyte> xs, out int xBytes, out Span<float> steps, out int blocks, out Span<int> chunkSums))
        {
            Gemv<SplitBlock<FourBits>, LinearValues>(x, w, y, rows, ep);
            return;
        }

        Span<float> dots = stackalloc float[4];
        bool vnni = VnniSwitch.Use((long)rows * n * k);
        for (int j = 0; j < n; j += 4)
        {
            for (int r = 0; r < rows; r++)
            {
                if (vnni)
                {
                    FixedRows4Vnni(w, j, ref xs[r * xBytes], ref steps[r * blocks], ref chunkSums[r * chunks], dots);
                }
                else
                {
                    FixedRows4(w, j, ref xs[r * xBytes], ref steps[r * blocks], ref chunkSums[r * chunks], dots);
                }

                for (int i = 0; i < 4 && j + i < n; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, dots[i], 0);
                }
            }
        }
    }

    /// <summary>
    /// Every input row rounded (<see cref="FixedPointInputs.QuantizeNarrow"/> for <paramref name="shift"/> 8,
    /// QuantizeNarrower for 7) and split (<see cref="SplitInputs"/>) into per-thread scratch: row r's bytes at
    /// r·<paramref name="xBytes"/>, its steps at r·<paramref name="blocks"/>, and Σx̂ (the codes' sum) of each 64-column chunk
    /// at r·chunks (for the offsets, taken off in integers). False when some x is NaN, ±∞ or of magnitude ≥ 2^100.
    /// </summary>
    private static bool FixedInputs(
        ReadOnlySpan<float> x, int rows, int k, [System.Diagnostics.CodeAnalysis.ConstantExpected(Min = 7, Max = 8)] int shift,
        out Span<sbyte> xs, out int xBytes, out Span<float> steps, out int blocks, out Span<int> chunkSums)
    {
        int chunks = (k + FixedChunk - 1) / FixedChunk;
        (xBytes, blocks) = (2 * FixedChunk * chunks, FixedPointInputs.Blocks(k));
        xs = ThreadScratch.Get(ref t_fixedX, rows * xBytes);
        steps = ThreadScratch.Get(ref t_fixedSteps, rows * blocks);
        chunkSums = ThreadScratch.Get(ref t_fixedSums, rows * chunks);
        Span<short> codes = ThreadScratch.Get(ref t_fixedCodes, chunks * FixedChunk);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * k, k);
            Span<float> rowSteps = steps.Slice(r * blocks, blocks);
            if (!(shift == 8 ? FixedPointInputs.QuantizeNarrow(row, codes[..k], rowSteps) : FixedPointInputs.QuantizeNarrower(row, codes[..k], rowSteps)))
            {
                return false;
            }

            codes[k..].Clear();
            SplitInputs(codes, xs.Slice(r * xBytes, xBytes), shift);
            for (int c = 0; c < chunks; c++)
            {
                chunkSums[(r * chunks) + c] = ChunkSum(codes.Slice(c * FixedChunk, FixedChunk));
            }
        }

        return true;
    }

    /// <summary>Σx̂ over columns [<paramref name="start"/>, <paramref name="end"/>) from the per-chunk sums (start a multiple of 64; x̂ is zero past the columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SegmentSum(ref int chunkSums, int start, int end)
    {
        int sum = 0;
        for (int c = start / FixedChunk; c < (end + FixedChunk - 1) / FixedChunk; c++)
        {
            sum += Unsafe.Add(ref chunkSums, c);
        }

        return sum;
    }

    /// <summary>Σ of 64 codes (|Σ| ≤ 2^20), exact: pairs widened to int32 by <c>vpmaddwd</c> with ones.</summary>
    private static int ChunkSum(ReadOnlySpan<short> codes)
    {
        ref short q = ref MemoryMarshal.GetReference(codes);
        var one = Vector256.Create((short)1);
        Vector256<int> sum = Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q), one) + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q, 16), one)
            + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q, 32), one) + Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref q, 48), one);
        return Vector256.Sum(sum);
    }

    /// <summary>
    /// x̂'s codes (a whole number of 64-column chunks, zero past the columns) split as x̂ = 2^shift·hi + lo, as the kernels
    /// read them: per chunk 32 hi bytes and 32 lo bytes in low-nibble order (columns 16b + i), then 32 and 32 in
    /// high-nibble order (16b + 8 + i).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void SplitInputs(ReadOnlySpan<short> codes, Span<sbyte> dst, [System.Diagnostics.CodeAnalysis.ConstantExpected(Min = 7, Max = 8)] int shift)
    {
        if (shift == 8)
        {
            SplitInputsBody(codes, dst, 8);
        }
        else
        {
            SplitInputsBody(codes, dst, 7);
        }
    }

    // SplitInputs's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitInputsBody(ReadOnlySpan<short> codes, Span<sbyte> dst, [System.Diagnostics.CodeAnalysis.ConstantExpected] int shift)
    {
        ref short q = ref MemoryMarshal.GetReference(codes);
        ref sbyte d = ref MemoryMarshal.GetReference(dst);
        var half = Vector256.Create((short)(1 << (shift - 1)));
        for (int c = 0; c < codes.Length / FixedChunk; c++)
        {
            // One 16-column block per register: lanes 0–7 are its low-nibble columns, 8–15 its high-nibble ones.
            ref short block = ref Unsafe.Add(ref q, c * FixedChunk);
            Split(Vector256.LoadUnsafe(ref block), half, shift, out Vector256<short> h0, out Vector256<short> l0);
            Split(Vector256.LoadUnsafe(ref block, 16), half, shift, out Vector256<short> h1, out Vector256<short> l1);
            Split(Vector256.LoadUnsafe(ref block, 32), half, shift, out Vector256<short> h2, out Vector256<short> l2);
            Split(Vector256.LoadUnsafe(ref block, 48), half, shift, out Vector256<short> h3, out Vector256<short> l3);

            // vpacksswb works per 128-bit lane: (h0, h1) gives [b0 low, b1 low | b0 high, b1 high]; vperm2i128 then
            // joins the low halves of both packs (blocks 0–3, low-nibble columns) and the high halves.
            Vector256<sbyte> h01 = Avx2.PackSignedSaturate(h0, h1), h23 = Avx2.PackSignedSaturate(h2, h3);
            Vector256<sbyte> l01 = Avx2.PackSignedSaturate(l0, l1), l23 = Avx2.PackSignedSaturate(l2, l3);
            ref sbyte to = ref Unsafe.Add(ref d, c * 2 * FixedChunk);
            Avx2.Permute2x128(h01, h23, 0x20).StoreUnsafe(ref to);
            Avx2.Permute2x128(l01, l23, 0x20).StoreUnsafe(ref to, 32);
            Avx2.Permute2x128(h01, h23, 0x31).StoreUnsafe(ref to, 64);
            Avx2.Permute2x128(l01, l23, 0x31).StoreUnsafe(ref to, 96);
        }
    }

    /// <summary>
    /// hi = (v + 2^(shift−1)) &gt;&gt; shift (arithmetic), lo = v − 2^shift·hi: shift 8 with |v| ≤ 2^14 gives |hi| ≤ 64 and
    /// lo in [−128, 127]; shift 7 with |v| ≤ 2^13 gives |hi| ≤ 64 and lo in [−64, 63].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(Vector256<short> v, Vector256<short> half, [System.Diagnostics.CodeAnalysis.ConstantExpected] int shift, out Vector256<short> hi, out Vector256<short> lo)
    {
        hi = Vector256.ShiftRightArithmetic(v + half, shift);
        lo = v - Vector256.ShiftLeft(hi, shift);
    }

    /// <summary>Dots of weight rows j…j+3 with one prepared input row (rows past the last repeat it; their results are ignored).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FixedRows4(DirectWeights w, int j, ref sbyte xs, ref float steps, ref int chunkSums, Span<float> dots)
    {
        FixedRows4Body(w, j, ref xs, ref steps, ref chunkSums, dots, vnni: false);
    }

    /// <summary>
    /// <see cref="FixedRows4"/> through AVX-VNNI (<see cref="VnniSwitch"/>): each <c>vpmaddubsw</c> and its int16 add
    /// become one <c>vpdpbusd</c> into int32 lanes, so 64 codes of a row cost the load, the three nibble operations and
    /// four multiply-adds. Lane j of <c>vpdpbusd</c> sums the same four byte products as lanes 2j and 2j + 1 of
    /// <c>vpmaddubsw</c>, which the AVX2 form's widening then adds, so both forms give the same integers and floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FixedRows4Vnni(DirectWeights w, int j, ref sbyte xs, ref float steps, ref int chunkSums, Span<float> dots)
    {
        FixedRows4Body(w, j, ref xs, ref steps, ref chunkSums, dots, vnni: true);
    }

    // FixedRows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void FixedRows4Body(
        DirectWeights w, int j, ref sbyte xs, ref float steps, ref int chunkSums, Span<float> dots, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        int k = w.Cols, last = w.Rows - 1, groups = w.GroupsPerRow, group = groups == 1 ? k : w.Group, codeBias = w.CodeBias;
        sbyte[] zeroPoints = w.ZeroPoints;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte c0 = ref Unsafe.Add(ref w.CodeStart, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref w.CodeStart, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref w.CodeStart, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref w.CodeStart, (nint)j3 * w.RowBytes);
        ref float t0 = ref RowParams<LinearValues>(w, j), t1 = ref RowParams<LinearValues>(w, j1);
        ref float t2 = ref RowParams<LinearValues>(w, j2), t3 = ref RowParams<LinearValues>(w, j3);
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int g = 0; g < groups; g++)
        {
            int groupEnd = Math.Min((g + 1) * group, k);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int start = g * group; start < groupEnd;)
            {
                // One segment: the group's columns within one 256-column step block, summed exactly in int16 lanes
                // (AVX-VNNI: in int32 lanes).
                int end = Math.Min(groupEnd, ((start / FixedPointInputs.BlockSize) + 1) * FixedPointInputs.BlockSize);
                Vector256<int> h0 = default, h1 = default, h2 = default, h3 = default;
                Vector256<int> l0 = default, l1 = default, l2 = default, l3 = default;
                // Whole 64-column chunks with plain loads; a row's last, partial chunk (if any) with masked ones.
                int at = start;
                for (int full = Math.Min(end, k & ~(FixedChunk - 1)); at < full; at += FixedChunk)
                {
                    nint bytes = (nint)((uint)at / 2);
                    if (prefetch)
                    {
                        RowPrefetch.Step(next, 4 * bytes, 4 * 32);
                    }

                    ref sbyte xc = ref Unsafe.Add(ref xs, 2 * at);
                    Vector256<sbyte> lowHi = Vector256.LoadUnsafe(ref xc), lowLo = Vector256.LoadUnsafe(ref xc, 32);
                    Vector256<sbyte> highHi = Vector256.LoadUnsafe(ref xc, 64), highLo = Vector256.LoadUnsafe(ref xc, 96);
                    Products(Vector256.LoadUnsafe(ref c0, (nuint)bytes), lowHi, lowLo, highHi, highLo, ref h0, ref l0, vnni);
                    Products(Vector256.LoadUnsafe(ref c1, (nuint)bytes), lowHi, lowLo, highHi, highLo, ref h1, ref l1, vnni);
                    Products(Vector256.LoadUnsafe(ref c2, (nuint)bytes), lowHi, lowLo, highHi, highLo, ref h2, ref l2, vnni);
                    Products(Vector256.LoadUnsafe(ref c3, (nuint)bytes), lowHi, lowLo, highHi, highLo, ref h3, ref l3, vnni);
                }

                if (at < end)
                {
                    nint bytes = at / 2;
                    ref sbyte xc = ref Unsafe.Add(ref xs, 2 * at);
                    Vector256<sbyte> lowHi = Vector256.LoadUnsafe(ref xc), lowLo = Vector256.LoadUnsafe(ref xc, 32);
                    Vector256<sbyte> highHi = Vector256.LoadUnsafe(ref xc, 64), highLo = Vector256.LoadUnsafe(ref xc, 96);
                    int valid = k - at;
                    Products(Codes32(ref c0, bytes, valid), lowHi, lowLo, highHi, highLo, ref h0, ref l0, vnni);
                    Products(Codes32(ref c1, bytes, valid), lowHi, lowLo, highHi, highLo, ref h1, ref l1, vnni);
                    Products(Codes32(ref c2, bytes, valid), lowHi, lowLo, highHi, highLo, ref h2, ref l2, vnni);
                    Products(Codes32(ref c3, bytes, valid), lowHi, lowLo, highHi, highLo, ref h3, ref l3, vnni);
                }

                // Σx̂ over the segment, for offset·Σx̂ (exact integers: offsets are 1–15 here, |Σx̂| ≤ 2^22).
                int sumX = SegmentSum(ref chunkSums, start, end);

                var step = Vector256.Create(Unsafe.Add(ref steps, start / FixedPointInputs.BlockSize));
                if (zeroPoints.Length == 0)
                {
                    // One offset for every row (the code bias): its product once per segment.
                    int less = codeBias * sumX;
                    a0 = Simd.MulAdd(Widen(h0, l0, vnni, less), step, a0);
                    a1 = Simd.MulAdd(Widen(h1, l1, vnni, less), step, a1);
                    a2 = Simd.MulAdd(Widen(h2, l2, vnni, less), step, a2);
                    a3 = Simd.MulAdd(Widen(h3, l3, vnni, less), step, a3);
                }
                else
                {
                    a0 = Simd.MulAdd(Widen(h0, l0, vnni, (codeBias + zeroPoints[(j * groups) + g]) * sumX), step, a0);
                    a1 = Simd.MulAdd(Widen(h1, l1, vnni, (codeBias + zeroPoints[(j1 * groups) + g]) * sumX), step, a1);
                    a2 = Simd.MulAdd(Widen(h2, l2, vnni, (codeBias + zeroPoints[(j2 * groups) + g]) * sumX), step, a2);
                    a3 = Simd.MulAdd(Widen(h3, l3, vnni, (codeBias + zeroPoints[(j3 * groups) + g]) * sumX), step, a3);
                }

                start = end;
            }

            s0 = Simd.MulAdd(a0, Vector256.Create(Unsafe.Add(ref t0, g)), s0);
            s1 = Simd.MulAdd(a1, Vector256.Create(Unsafe.Add(ref t1, g)), s1);
            s2 = Simd.MulAdd(a2, Vector256.Create(Unsafe.Add(ref t2, g)), s2);
            s3 = Simd.MulAdd(a3, Vector256.Create(Unsafe.Add(ref t3, g)), s3);
        }

        Simd.Sum4(s0, s1, s2, s3).StoreUnsafe(ref MemoryMarshal.GetReference(dots));
    }

    /// <summary>
    /// The 32 code bytes of 64 columns from <paramref name="bytes"/> into the row; with fewer than 64 columns left
    /// (<paramref name="valid"/>, a multiple of 16), only their whole 8-byte blocks are read (the rest is zero), so a
    /// row's last chunk never reads past its codes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<byte> Codes32(ref byte row, nint bytes, int valid)
    {
        ref byte at = ref Unsafe.Add(ref row, bytes);
        if (valid >= FixedChunk)
        {
            return Vector256.LoadUnsafe(ref at);
        }

        // valid / 16 blocks of 8 bytes = valid / 8 int32 lanes.
        Vector256<int> mask = Vector256.GreaterThan(Vector256.Create(valid / 8), Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7));
        return Avx2.MaskLoad((int*)Unsafe.AsPointer(ref at), mask).AsByte();
    }

    /// <summary>Adds one row's 64 products with x's hi and lo halves (low nibbles, then high nibbles) to its sums: int16 lanes (AVX2), int32 lanes (AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products(
        Vector256<byte> v, Vector256<sbyte> lowHi, Vector256<sbyte> lowLo, Vector256<sbyte> highHi, Vector256<sbyte> highLo,
        ref Vector256<int> hi, ref Vector256<int> lo, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        var nibble = Vector256.Create((byte)15);
        Vector256<byte> low = v & nibble;
        Vector256<byte> high = Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble;
        if (vnni)
        {
            hi = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(hi, low, lowHi), high, highHi);
            lo = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(lo, low, lowLo), high, highLo);
        }
        else
        {
            hi = (hi.AsInt16() + Avx2.MultiplyAddAdjacent(low, lowHi) + Avx2.MultiplyAddAdjacent(high, highHi)).AsInt32();
            lo = (lo.AsInt16() + Avx2.MultiplyAddAdjacent(low, lowLo) + Avx2.MultiplyAddAdjacent(high, highLo)).AsInt32();
        }
    }

    /// <summary>256·Σhi + Σlo per int32 lane, less <paramref name="less"/> in lane 0 (exact), as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector256<int> hi, Vector256<int> lo, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni, int less)
    {
        // AVX2: the int16 pair sums widened, 256·(h + h') straight from vpmaddwd (|h| < 2^15, so under 2^24): no shift.
        Vector256<int> sum = vnni
            ? Vector256.ShiftLeft(hi, 8) + lo
            : Avx2.MultiplyAddAdjacent(hi.AsInt16(), Vector256.Create((short)256)) + Avx2.MultiplyAddAdjacent(lo.AsInt16(), Vector256.Create((short)1));
        return Avx.ConvertToVector256Single(sum - Vector256.CreateScalar(less));
    }
}
