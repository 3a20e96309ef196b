using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Int8 Dense (per channel, <see cref="WeightFormat.Int8"/> and <see cref="WeightFormat.Int8Asymmetric"/>) for 1–7 input rows on AVX2 + FMA (AVX-512 on or off), in
/// integers: each input row is rounded once per call to 16-bit fixed point (<see cref="FixedPointInputs.Quantize"/>:
/// one power-of-two step per 256 inputs, |x − x̂| ≤ 2^−15 of the block's largest |x|), and per 16 weights of a row one
/// sign-extending load (<c>vpmovsxbw</c>), one <c>vpmaddwd</c> with x̂ and one <c>vpaddd</c> give 16 exact products.
/// The float path (<see cref="DenseBlocks"/>) converts every weight (<c>vpmovsxbd</c>, <c>vcvtdq2ps</c> and an FMA
/// per 8) and is bound by those conversions at about a cycle per 8 weights; this takes 0.63–0.68 cycles per 8
/// (IMPLEMENTATION.md, Kernels, "Int8 at 1–7 rows in integers").
/// </summary>
/// <remarks>
/// Four weight rows share each load of x̂ and keep one int32 accumulator each; within a 256-input block a lane gets at
/// most 32 products of at most 128·2^15 = 2^22, and lane 0 up to 15 more from the scalar tail: under 2^28, exact. Per
/// block the four rows' lanes are summed in int32 (exact: a block's sum is at most 256·128·2^15 = 2^30), and each
/// row's block sum is converted once and multiplied by the block's step into a float accumulator; the channel scale,
/// bias and activation follow (<see cref="Epilogue"/>), so the result is Σ q·x̂ up to float32 rounding of a few block
/// sums, and its error against Σ q·x at most Σ|q|·|x − x̂|. The AVX-VNNI form (FixedPointGemv.Vnni.cs) reaches the
/// same block sums, so both forms give the same bits.
/// Zero points are taken off as zp·Σx̂ (Σx̂ summed exactly per block), as the float path takes them off as zp·Σx.
/// Columns past the last 16 are multiplied in scalar code, so no row is read past its end. A call whose input holds
/// a NaN or an infinity returns false and the float path runs (it propagates them). Outputs are computed the same
/// way whatever range of channels a thread takes (<see cref="DenseGemvParallel"/>). With AVX-512 on it is taken too:
/// the wide MLP at batch 1 ran in 41 µs against 46 through the 512-bit float loop (Zen 5, `quick wide-ab`, 2026-12-05).
/// <para>
/// The precision is relative to each block's largest input, whatever the weights: a huge input on a column whose
/// weight is 0 in some row still coarsens the step of its 256 inputs for that row, where the float path multiplied
/// it by an exact 0. The batched <see cref="FixedPointGemm"/> has made the same trade since it landed, and inputs
/// 2^15 apart within 256 neighbours are rare after a normalisation. The 4-bit kernel declines matrices whose codes
/// include an exact zero weight (<see cref="DirectDense.FixedPoint4Takes"/>); int8 matrices hold zeros after any
/// pruning, so that rule would send most pruned models back to the float path.
/// </para>
/// </remarks>
internal static partial class FixedPointGemv
{
    private const int BlockSize = FixedPointInputs.BlockSize;

    [ThreadStatic]
    private static short[]? t_codes;

    [ThreadStatic]
    private static float[]? t_steps;

    /// <summary>Whether the path may run at all (a switch for the benchmarks' A/B).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Input rows up to this take the GEMV, each row a pass over the weights: symmetric int8 from
    /// <see cref="FixedPointGemm.MinRowsInt8"/> rows takes the integer GEMM first; int8 with zero points, which that GEMM
    /// does not take, stays here up to the float GEMM's 8 rows (the float batch kernel it replaces took 1.35–1.49× ONNX
    /// Runtime's time on the wide MLP at batch 4–6).
    /// </summary>
    internal const int MaxRows = DenseGemm.MinRows - 1;

    /// <summary>Whether a call of <paramref name="rows"/> input rows over <paramref name="w"/> takes this path (the input is checked in <see cref="Run"/>).</summary>
    public static bool Applies(SimdLevel level, int rows, WeightMatrix w) =>
        Enabled && level == SimdLevel.Vector256 && Avx2.IsSupported && Fma.IsSupported
        && rows <= MaxRows && w.Format is WeightFormat.Int8 or WeightFormat.Int8Asymmetric && w.Cols >= Vector256<short>.Count;

    /// <summary>
    /// <c>y[r, j] = ep(Σ_k x̂[r, k]·q[j, k])</c> for channels <paramref name="j0"/> ≤ j &lt; <paramref name="j1"/> of
    /// every input row.
    /// </summary>
    /// <param name="x">Inputs, <c>rows × K</c> floats.</param>
    /// <param name="w">Int8 weights, <c>N × K</c>, row-major.</param>
    /// <param name="ep">Zero points, channel scales, bias and activation.</param>
    /// <param name="y">Outputs, <c>rows × N</c> floats.</param>
    /// <param name="rows">Input rows (at most <see cref="MaxRows"/>).</param>
    /// <param name="j0">First channel (a multiple of 4 unless 0).</param>
    /// <param name="j1">One past the last channel.</param>
    /// <returns>False, with y untouched, when x holds a NaN, an infinity or a magnitude ≥ 2^100 (<see cref="FixedPointInputs.HugeBits"/>).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Run(ReadOnlySpan<float> x, WeightMatrix w, in Epilogue ep, Span<float> y, int rows, int j0, int j1) =>
        RunBody(x, w, in ep, y, rows, j0, j1);

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RunBody(ReadOnlySpan<float> x, WeightMatrix w, in Epilogue ep, Span<float> y, int rows, int j0, int j1)
    {
        int n = w.Rows, k = w.Cols, kPad = (k + 15) & ~15, blocks = FixedPointInputs.Blocks(k);
        Span<short> codes = ThreadScratch.Get(ref t_codes, rows * kPad);
        Span<float> steps = ThreadScratch.Get(ref t_steps, rows * blocks);
        Span<float> sums = stackalloc float[DenseGemm.MinRows];
        for (int r = 0; r < rows; r++)
        {
            Span<short> rowCodes = codes.Slice(r * kPad, k);
            Span<float> rowSteps = steps.Slice(r * blocks, blocks);
            if (!FixedPointInputs.Quantize(x.Slice(r * k, k), rowCodes, rowSteps))
            {
                return false;
            }

            sums[r] = w.Format == WeightFormat.Int8Asymmetric ? Sum(rowCodes, rowSteps) : 0;
        }

        ref sbyte q0 = ref MemoryMarshal.GetReference(w.Int8);
        bool vnni = k >= VnniColumns && VnniSwitch.Use((long)rows * (j1 - j0) * k);
        bool prefetch = vnni ? (long)n * k >= RowPrefetch.MinBytesVnniInt8 : RowPrefetch.For(n, k);
        Span<byte> bytes = default;
        Span<int> corrections = default;
        if (vnni)
        {
            bytes = SplitBytes(codes, rows, k, kPad, blocks, out corrections);
        }

        Span<float> dots = stackalloc float[4];
        for (int j = j0; j < j1; j += 4)
        {
            for (int r = 0; r < rows; r++)
            {
                if (vnni)
                {
                    Rows4Vnni(ref q0, n, k, j, ref codes[r * kPad], ref bytes[2 * r * k], ref corrections[r * blocks], ref steps[r * blocks], dots, prefetch);
                }
                else
                {
                    Rows4(ref q0, n, k, j, ref codes[r * kPad], ref steps[r * blocks], dots, prefetch);
                }

                for (int i = 0; i < 4 && j + i < j1; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, dots[i], sums[r]);
                }
            }
        }

        return true;
    }

    /// <summary>Σ q·x̂ of weight rows j…j+3 with one rounded input row, in x's units (rows past the last repeat it; their results are ignored).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rows4(ref sbyte q0, int n, int k, int j, ref short xq, ref float steps, Span<float> dots, bool prefetch) =>
        Rows4Body(ref q0, n, k, j, ref xq, ref steps, dots, prefetch);

    // Rows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Rows4Body(ref sbyte q0, int n, int k, int j, ref short xq, ref float steps, Span<float> dots, bool prefetch)
    {
        int last = n - 1, whole = k & ~15;
        ref sbyte r0 = ref Unsafe.Add(ref q0, (nint)j * k);
        ref sbyte r1 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 1, last) * k);
        ref sbyte r2 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 2, last) * k);
        ref sbyte r3 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 3, last) * k);
        byte* next = RowPrefetch.Next(ref Unsafe.As<sbyte, byte>(ref r0), 4, k);
        Vector128<float> f = default;
        for (int start = 0, b = 0; start < k; start += BlockSize, b++)
        {
            int end = Math.Min(k, start + BlockSize), vectorEnd = Math.Min(end, whole);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            int c = start;

            // 32 columns per iteration while they last (3 % less time than 16 on 1024 × 1024, interleaved runs), then 16.
            for (; c + 32 <= vectorEnd; c += 32)
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * (nint)c, 128);
                }

                Vector256<short> xv = Vector256.LoadUnsafe(ref xq, (nuint)c), xw = Vector256.LoadUnsafe(ref xq, (nuint)(c + 16));
                a0 += Avx2.MultiplyAddAdjacent(Widen(ref r0, c), xv) + Avx2.MultiplyAddAdjacent(Widen(ref r0, c + 16), xw);
                a1 += Avx2.MultiplyAddAdjacent(Widen(ref r1, c), xv) + Avx2.MultiplyAddAdjacent(Widen(ref r1, c + 16), xw);
                a2 += Avx2.MultiplyAddAdjacent(Widen(ref r2, c), xv) + Avx2.MultiplyAddAdjacent(Widen(ref r2, c + 16), xw);
                a3 += Avx2.MultiplyAddAdjacent(Widen(ref r3, c), xv) + Avx2.MultiplyAddAdjacent(Widen(ref r3, c + 16), xw);
            }

            BlockRest(ref r0, ref r1, ref r2, ref r3, ref xq, c, vectorEnd, end, ref a0, ref a1, ref a2, ref a3);

            // The block's four sums reduced in int32 (exact) and converted once each: both forms give the same bits.
            f = Fma.MultiplyAdd(Sse2.ConvertToVector128Single(Simd.Sum4(a0, a1, a2, a3)), Vector128.Create(Unsafe.Add(ref steps, b)), f);
        }

        f.StoreUnsafe(ref MemoryMarshal.GetReference(dots));
    }

    /// <summary>
    /// Columns [<paramref name="c"/>, <paramref name="end"/>) of a block after the wide loop, added to the four rows'
    /// sums: 16-column steps to <paramref name="vectorEnd"/> (at most one: the wide loops take 32), then the last
    /// columns (fewer than 16) in scalar code, exact, into lane 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockRest(
        ref sbyte r0, ref sbyte r1, ref sbyte r2, ref sbyte r3, ref short xq, int c, int vectorEnd, int end,
        ref Vector256<int> a0, ref Vector256<int> a1, ref Vector256<int> a2, ref Vector256<int> a3)
    {
        for (; c < vectorEnd; c += 16)
        {
            Vector256<short> xv = Vector256.LoadUnsafe(ref xq, (nuint)c);
            a0 += Avx2.MultiplyAddAdjacent(Widen(ref r0, c), xv);
            a1 += Avx2.MultiplyAddAdjacent(Widen(ref r1, c), xv);
            a2 += Avx2.MultiplyAddAdjacent(Widen(ref r2, c), xv);
            a3 += Avx2.MultiplyAddAdjacent(Widen(ref r3, c), xv);
        }

        if (end > vectorEnd)
        {
            a0 += Vector256.CreateScalar(TailDot(ref r0, ref xq, vectorEnd, end));
            a1 += Vector256.CreateScalar(TailDot(ref r1, ref xq, vectorEnd, end));
            a2 += Vector256.CreateScalar(TailDot(ref r2, ref xq, vectorEnd, end));
            a3 += Vector256.CreateScalar(TailDot(ref r3, ref xq, vectorEnd, end));
        }
    }

    /// <summary>Σx̂ of one rounded row: each block's codes summed exactly, times its step.</summary>
    private static float Sum(ReadOnlySpan<short> codes, ReadOnlySpan<float> steps)
    {
        float sum = 0;
        for (int b = 0; b < steps.Length; b++)
        {
            int blockSum = 0;
            foreach (short q in codes.Slice(b * BlockSize, Math.Min(BlockSize, codes.Length - (b * BlockSize))))
            {
                blockSum += q;
            }

            sum += blockSum * steps[b];
        }

        return sum;
    }

    /// <summary>16 weights from column <paramref name="c"/> of a row, sign-extended to int16 (<c>vpmovsxbw</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen(ref sbyte row, int c) => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, (nuint)c));

    /// <summary>Σ q·x̂ over columns [<paramref name="from"/>, <paramref name="to"/>) of one row, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TailDot(ref sbyte row, ref short xq, int from, int to)
    {
        int sum = 0;
        for (int c = from; c < to; c++)
        {
            sum += Unsafe.Add(ref row, c) * Unsafe.Add(ref xq, c);
        }

        return sum;
    }
}
