using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Activation sparsity: a K block of x in which most values are zero (the output of a ReLU, an image's background)
/// runs row by row over each row's nonzero columns only, instead of through the register tiles, which multiply every
/// zero. Per nonzero x[r, k] the kernel broadcasts it once and runs 8 FMAs over 64 channels (8 accumulators of
/// 256 bits, enough independent chains for two FMA pipes), each with its own weight load where the tiles share one
/// weight load among 6 rows; so a value costs more than a k of the tiles, and the kernel runs only when the block's
/// density is at most <see cref="MaxSparseDensity"/> (decided per call and K block).
/// </summary>
/// <remarks>
/// Same bits as the tiles: every output is the same FMA chain over the block's k in the same order, minus terms whose x is
/// exactly zero (<c>fma(w, ±0, s) = s</c> for finite w: a layer whose float weights hold NaN or ±Inf, kept by
/// "nonFinite": "keep", never takes this kernel, since 0·Inf is NaN), and the block's sums go through the same
/// <see cref="Put{TW, TV}"/> (earlier blocks, scale, bias, ReLU). So a row's result depends neither on which path ran
/// nor on the other rows of the batch. One exception, the sign of an exactly-zero sum: a chain that underflows to −0
/// stays −0 here where the tiles' next skipped term (+0) would make it +0 (equal as numbers; found in review).
/// Parallel calls over a sparse x split by row blocks, one per thread, so each part covers all channels (<see cref="SplitsByRows"/>).
/// </remarks>
internal static partial class DenseGemm
{
    /// <summary>
    /// Share of nonzero x values in a K block (all the part's rows) at or below which the sparse-row kernel runs, for a
    /// part of fewer than <see cref="ManyGroups"/> groups of 64 channels. The kernel costs ~5 cycles per nonzero value
    /// against the tiles' ~4 per k (both per 64 channels), plus per row and 128-k step ~50 cycles and the gathering of
    /// each row's nonzeros, which more groups share. Break-even at batch 64 (`quick sparse`, Zen 5, AVX2, float
    /// panels): 0.52–0.54 for 128 and 256 channels, 0.65–0.68 for 512 and 1024.
    /// </summary>
    internal const double MaxSparseDensity = 0.5;

    /// <summary><see cref="MaxSparseDensity"/> for parts of at least <see cref="ManyGroups"/> groups of 64 channels.</summary>
    internal const double MaxSparseDensityManyGroups = 0.65;

    /// <summary>Groups of 64 channels from which a part uses <see cref="MaxSparseDensityManyGroups"/>.</summary>
    private const int ManyGroups = 8;

    /// <summary>Channels one sparse row pass covers: 8 vectors of 8 (4 panels of 16 on AVX2, 2 of 32 with AVX-512).</summary>
    private const int SparseGroupChannels = 64;

    /// <summary>K per step of a group's rows: 64 channels × 128 k of weights (32 KB) stay in L1 while the rows pass.</summary>
    private const int SparseSubK = 128;

    /// <summary>Rows whose nonzero-column lists are gathered at once (64 × (512 + 8) ints: 133 KB at most).</summary>
    private const int SparseChunkRows = 64;

    // Per row of a chunk: where each step's values start (Gather's marks), and the 64 sums carried between steps.
    [ThreadStatic]
    private static int[]? t_marks;

    [ThreadStatic]
    private static float[]? t_carried;

    // Per row of a chunk: its nonzero columns' panel offsets (k·nr, k relative to the block) in order, and their x
    // values; room for a full vector past the end.
    [ThreadStatic]
    private static int[]? t_offsets;

    [ThreadStatic]
    private static float[]? t_values;

    // An int8 group's K block widened (64 channels × kc floats, ≤ 128 KB).
    [ThreadStatic]
    private static float[]? t_group;

    // For each 8-bit mask of nonzero lanes: those lane numbers first, in order (the compaction table of a left-pack).
    private static readonly int[] s_leftPack = LeftPackTable();

    /// <summary>Whether the part's panels [p0, p1) can take the sparse-row kernel (256-bit vectors, at least one group of channels).</summary>
    private static bool SparseApplies(in Shape s, int p0, int p1) =>
        SparseEnabled && s.FiniteWeights && Avx2.IsSupported && s.Level == SimdLevel.Vector256 && (p1 - p0) * s.Nr >= SparseGroupChannels;

    /// <summary>
    /// The parts to cut a call into: whole panels or row blocks, each worth a hand-off (<see cref="IntraOp.MinFlopsPerPart"/>;
    /// small calls stay inline), or one row range per thread when x is sparse (<see cref="SplitsByRows"/>; sets <see cref="Shape.ByRows"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Parts(ref Shape s, ref float x, int threads) => PartsBody(ref s, ref x, threads);

    // Parts's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PartsBody(ref Shape s, ref float x, int threads)
    {
        double flops = 2.0 * s.Rows * s.N * s.K;
        int parts = IntraOp.Parts(threads, flops, Math.Max(s.Panels, s.Blocks));
        if (parts > 1 && SplitsByRows(s, ref x))
        {
            s = s with { ByRows = true };
            parts = IntraOp.Parts(threads, flops, Math.Min(s.Blocks, threads));
        }

        return parts;
    }

    /// <summary>
    /// Whether a parallel call splits by row blocks, one part per thread, instead of by panels: when the whole of x
    /// (all rows, all K) is sparse enough for the sparse-row kernel over all N (<see cref="MaxSparseDensity"/>). Each
    /// part then runs every panel over its rows, so every part can take the kernel (a panel split leaves parts of
    /// fewer than 64 channels to the tiles), gathers its own rows' nonzeros once (a panel split gathers every row in
    /// every part), and reads the weights once per part (so not more parts than threads). `quick sparse … 2`, 64 rows,
    /// Zen 5, AVX2, against the panel split: 0.76 at 128 × 256 (density 0.26), 0.97 at 256 × 1024 (0.4), 0.82 at
    /// 512 × 512 (0.3), 0.84 at 1024 × 1024 (0.5); 4 parts per thread were 0.89–1.13. Bits are unchanged: neither
    /// path's result depends on the split.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SplitsByRows(in Shape s, ref float x)
    {
        // Whole panels only: the partial last panel never runs sparse (it accumulates in its own scratch, DenseGemm.Part).
        if (!SparseRowSplit || !SparseApplies(s, 0, s.N / s.Nr) || s.Blocks < 2)
        {
            return false;
        }

        double maxDensity = s.Panels * s.Nr / SparseGroupChannels >= ManyGroups ? MaxSparseDensityManyGroups : MaxSparseDensity;
        // Counted 8 rows at a time, so a dense x (the common case) stops once it is over the limit, not after all of it.
        long limit = (long)(maxDensity * s.Rows * s.K), nonzeros = 0;
        for (int r = 0; r < s.Rows; r += 8)
        {
            nonzeros += CountNonzeros(ref x, s.K, r, Math.Min(s.Rows, r + 8), s.K);
            if (nonzeros > limit)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether parallel calls may split by rows for the sparse-row kernel (<see cref="SplitsByRows"/>; a switch for the benchmarks' A/B).</summary>
    internal static bool SparseRowSplit { get; set; } = true;

    /// <summary>Whether the sparse-row kernel may run (a switch for the benchmarks' A/B and the tests' comparisons).</summary>
    internal static bool SparseEnabled { get; set; } = true;

    /// <summary>K blocks the sparse-row kernel has run since the process started (for the tests: that a case took it).</summary>
    internal static long SparseBlocks => Interlocked.Read(ref s_sparseBlocks);

    private static long s_sparseBlocks;

    /// <summary>
    /// The part's whole groups of panels from <paramref name="p0"/> over rows [r0, r1) of the K block at
    /// <paramref name="pc"/>, when x's nonzeros there are at most <see cref="MaxSparseDensity"/>; returns the first panel
    /// left to the tiles (<paramref name="p0"/> when the block is too dense).
    /// </summary>
    /// <remarks>
    /// A group's rows are visited <see cref="SparseSubK"/> k at a time, each row's 8 sums carried between the steps in a
    /// scratch: rows touch different k, so a whole K block of 64 channels (up to 128 KB) would be read from L2 once per
    /// row, and the kernel ran at 9 cycles per value instead of 5.5 (Zen 5).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SparseBlock(in Shape s, ref float x, ref float packed, ref sbyte codes, ref float scales, ref float bias, ref float sums, nint ldc,
        int pc, int kc, int p0, int p1, int r0, int r1, TileEpilogue epilogue) =>
        SparseBlockBody(in s, ref x, ref packed, ref codes, ref scales, ref bias, ref sums, ldc, pc, kc, p0, p1, r0, r1, epilogue);

    // SparseBlock's body and the helpers it calls, inlined into it so that dynamic PGO's instrumented tier puts no count probe in their loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SparseBlockBody(in Shape s, ref float x, ref float packed, ref sbyte codes, ref float scales, ref float bias, ref float sums, nint ldc,
        int pc, int kc, int p0, int p1, int r0, int r1, TileEpilogue epilogue)
    {
        int groupPanels = SparseGroupChannels / s.Nr, steps = (kc + SparseSubK - 1) / SparseSubK;
        int groups = (p1 - p0) / groupPanels, pEnd = p0 + (groups * groupPanels);
        double maxDensity = groups >= ManyGroups ? MaxSparseDensityManyGroups : MaxSparseDensity;
        if (CountNonzeros(ref Unsafe.Add(ref x, pc), s.K, r0, r1, kc) > maxDensity * (r1 - r0) * kc)
        {
            return p0;
        }

        Interlocked.Increment(ref s_sparseBlocks);
        int stride = kc + Vector256<int>.Count;
        Span<int> offsets = ThreadScratch.Get(ref t_offsets, SparseChunkRows * stride);
        Span<float> values = ThreadScratch.Get(ref t_values, SparseChunkRows * stride);
        Span<int> marks = ThreadScratch.Get(ref t_marks, SparseChunkRows * (steps + 1));
        Span<float> carried = steps > 1 ? ThreadScratch.Get(ref t_carried, SparseChunkRows * SparseGroupChannels) : default;
        for (int rc = r0; rc < r1; rc += SparseChunkRows)
        {
            int chunk = Math.Min(SparseChunkRows, r1 - rc);
            for (int i = 0; i < chunk; i++)
            {
                Gather(ref Unsafe.Add(ref x, ((nint)(rc + i) * s.K) + pc), kc, s.Nr, ref offsets[i * stride], ref values[i * stride], ref marks[i * (steps + 1)]);
            }

            for (int p = p0; p < pEnd; p += groupPanels)
            {
                ref float panel = ref s.Int8
                    ? ref WidenGroup(ref Unsafe.Add(ref codes, (((nint)p * s.K) + pc) * s.Nr), s.K, kc, s.Nr)
                    : ref Unsafe.Add(ref packed, (((nint)p * s.K) + pc) * s.Nr);
                nint panelStride = s.Int8 ? (nint)kc * s.Nr : (nint)s.K * s.Nr;
                // The group's four 16-channel quarters: four panels of 16, or the halves of two panels of 32.
                nint q1 = s.Nr == 16 ? panelStride : 16, q2 = s.Nr == 16 ? 2 * panelStride : panelStride, q3 = q2 + q1;
                ref float pb = ref s.HasBias ? ref Unsafe.Add(ref bias, (nint)p * s.Nr) : ref Unsafe.NullRef<float>();
                ref float ps = ref s.Int8 ? ref Unsafe.Add(ref scales, (nint)p * s.Nr) : ref Unsafe.NullRef<float>();
                for (int step = 0; step < steps; step++)
                {
                    var carry = (step > 0 ? SparseCarry.Resume : SparseCarry.None) | (step < steps - 1 ? SparseCarry.Suspend : SparseCarry.None);
                    SparseStep(ref offsets[0], ref values[0], stride, ref marks[step], steps + 1, chunk, ref panel, q1, q2, q3, carry,
                        ref steps > 1 ? ref carried[0] : ref Unsafe.NullRef<float>(),
                        ref Unsafe.Add(ref sums, ((nint)rc * ldc) + ((nint)p * s.Nr)), ldc, pc > 0, epilogue, ref pb, ref ps);
                }
            }
        }

        return pEnd;
    }

    /// <summary>Nonzero values in rows [r0, r1) × kc columns of x (row stride <paramref name="ldx"/>); NaN counts as nonzero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long CountNonzeros(ref float x, nint ldx, int r0, int r1, int kc)
    {
        long zeros = 0;
        for (int r = r0; r < r1; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * ldx);
            int k = 0;
            for (; k + Vector256<float>.Count <= kc; k += Vector256<float>.Count)
            {
                zeros += BitOperations.PopCount(Vector256.Equals(Vector256.LoadUnsafe(ref row, (nuint)k), Vector256<float>.Zero).ExtractMostSignificantBits());
            }

            for (; k < kc; k++)
            {
                zeros += Unsafe.Add(ref row, k) == 0 ? 1 : 0;
            }
        }

        return ((long)(r1 - r0) * kc) - zeros;
    }

    /// <summary>
    /// Left-packs row <paramref name="x"/>'s nonzero values among its first <paramref name="kc"/>: their panel offsets
    /// <c>k·nr</c> to <paramref name="offsets"/> and the values to <paramref name="values"/>, in increasing k (either may
    /// get up to 8 entries past the count). <c>marks[j]</c> gets the index of the first value with k ≥ j·<see cref="SparseSubK"/>,
    /// and <c>marks[⌈kc / SparseSubK⌉]</c> the count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather(ref float x, int kc, int nr, ref int offsets, ref float values, ref int marks)
    {
        int n = 0, k = 0;
        ref int table = ref MemoryMarshal.GetArrayDataReference(s_leftPack);
        Vector256<int> lanesNr = Vector256<int>.Indices * nr;
        for (; k + Vector256<float>.Count <= kc; k += Vector256<float>.Count)
        {
            if (k % SparseSubK == 0)
            {
                Unsafe.Add(ref marks, k / SparseSubK) = n;
            }

            Vector256<float> v = Vector256.LoadUnsafe(ref x, (nuint)k);
            uint keep = ~Vector256.Equals(v, Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFF;
            Vector256<int> lanes = Vector256.LoadUnsafe(ref table, keep * 8);
            Avx2.PermuteVar8x32(v, lanes).StoreUnsafe(ref values, (nuint)n);
            (Vector256.Create(k * nr) + Avx2.PermuteVar8x32(lanesNr, lanes)).StoreUnsafe(ref offsets, (nuint)n);
            n += BitOperations.PopCount(keep);
        }

        for (; k < kc; k++)
        {
            if (k % SparseSubK == 0)
            {
                Unsafe.Add(ref marks, k / SparseSubK) = n;
            }

            float v = Unsafe.Add(ref x, k);
            Unsafe.Add(ref offsets, n) = k * nr;
            Unsafe.Add(ref values, n) = v;
            n += v != 0 ? 1 : 0;
        }

        Unsafe.Add(ref marks, (kc + SparseSubK - 1) / SparseSubK) = n;
    }

    /// <summary>
    /// One step of a chunk's <paramref name="rows"/> rows over a group of 64 channels: for row i, its values
    /// [marks[i·ms], marks[i·ms + 1]) (<see cref="SparseRowBody"/>), the rows' lists <paramref name="stride"/> entries
    /// apart and their carried sums 64 floats apart. One call per step rather than per row: the call and its arguments
    /// cost about as much as 15 values (1024 → 1024, density 0.3).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SparseStep(ref int offsets, ref float values, int stride, ref int marks, int ms, int rows, ref float panel, nint q1, nint q2, nint q3,
        SparseCarry carry, ref float carried, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        SparseStepBody(ref offsets, ref values, stride, ref marks, ms, rows, ref panel, q1, q2, q3, carry, ref carried, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
    }

    // SparseStep's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SparseStepBody(ref int offsets, ref float values, int stride, ref int marks, int ms, int rows, ref float panel, nint q1, nint q2, nint q3,
        SparseCarry carry, ref float carried, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        bool carries = !Unsafe.IsNullRef(ref carried);
        for (int i = 0; i < rows; i++)
        {
            ref int mark = ref Unsafe.Add(ref marks, i * ms);
            SparseRowBody(ref Unsafe.Add(ref offsets, i * stride), ref Unsafe.Add(ref values, i * stride), mark, Unsafe.Add(ref mark, 1), ref panel, q1, q2, q3, carry,
                ref carries ? ref Unsafe.Add(ref carried, i * SparseGroupChannels) : ref carried, ref Unsafe.Add(ref c, i * ldc), accumulate, epilogue, ref bias, ref scale);
        }
    }

    /// <summary>
    /// One row over 64 channels, from its nonzero values [from, to) and their panel offsets (k·nr):
    /// <c>c[n] (+)= Σ_i values[i]·w[offsets[i] + n]</c>, then the epilogue; or, per <paramref name="carry"/>, the sums
    /// start from / are left in <paramref name="carried"/> (64 floats) for the row's next step over the block.
    /// The channels are four quarters of 16 at <paramref name="panel"/> + 0, <paramref name="q1"/>, <paramref name="q2"/>,
    /// <paramref name="q3"/> floats (panel rows k·nr floats in); c, bias and scale hold the 64 channels in order. The
    /// values come packed beside their offsets (two sequential streams) rather than read from x through them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SparseRowBody(ref int offsets, ref float values, int from, int to, ref float panel, nint q1, nint q2, nint q3, SparseCarry carry,
        ref float carried, ref float c, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        ref float w0 = ref panel;
        ref float w1 = ref Unsafe.Add(ref panel, q1);
        ref float w2 = ref Unsafe.Add(ref panel, q2);
        ref float w3 = ref Unsafe.Add(ref panel, q3);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        if ((carry & SparseCarry.Resume) != 0)
        {
            a0 = Vector256.LoadUnsafe(ref carried);
            a1 = Vector256.LoadUnsafe(ref carried, 8);
            a2 = Vector256.LoadUnsafe(ref carried, 16);
            a3 = Vector256.LoadUnsafe(ref carried, 24);
            a4 = Vector256.LoadUnsafe(ref carried, 32);
            a5 = Vector256.LoadUnsafe(ref carried, 40);
            a6 = Vector256.LoadUnsafe(ref carried, 48);
            a7 = Vector256.LoadUnsafe(ref carried, 56);
        }

        for (int i = from; i < to; i++)
        {
            Vector256<float> v = Vector256.Create(Unsafe.Add(ref values, i));
            nuint o = (nuint)Unsafe.Add(ref offsets, i);
            a0 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w0, o), v, a0);
            a1 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w0, o + 8), v, a1);
            a2 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w1, o), v, a2);
            a3 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w1, o + 8), v, a3);
            a4 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w2, o), v, a4);
            a5 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w2, o + 8), v, a5);
            a6 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w3, o), v, a6);
            a7 = Vector256Width.MulAdd(Vector256.LoadUnsafe(ref w3, o + 8), v, a7);
        }

        if ((carry & SparseCarry.Suspend) != 0)
        {
            a0.StoreUnsafe(ref carried);
            a1.StoreUnsafe(ref carried, 8);
            a2.StoreUnsafe(ref carried, 16);
            a3.StoreUnsafe(ref carried, 24);
            a4.StoreUnsafe(ref carried, 32);
            a5.StoreUnsafe(ref carried, 40);
            a6.StoreUnsafe(ref carried, 48);
            a7.StoreUnsafe(ref carried, 56);
            return;
        }

        Put<Vector256Width, Vector256<float>>(a0, a1, ref c, accumulate, epilogue, ref bias, ref scale);
        Put<Vector256Width, Vector256<float>>(a2, a3, ref Unsafe.Add(ref c, 16), accumulate, epilogue, ref Channels(ref bias, 16), ref Channels(ref scale, 16));
        Put<Vector256Width, Vector256<float>>(a4, a5, ref Unsafe.Add(ref c, 32), accumulate, epilogue, ref Channels(ref bias, 32), ref Channels(ref scale, 32));
        Put<Vector256Width, Vector256<float>>(a6, a7, ref Unsafe.Add(ref c, 48), accumulate, epilogue, ref Channels(ref bias, 48), ref Channels(ref scale, 48));
    }

    // Channel `offset` of a per-channel vector that may be absent (a null ref stays null).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Channels(ref float values, int offset) =>
        ref Unsafe.IsNullRef(ref values) ? ref values : ref Unsafe.Add(ref values, offset);

    /// <summary>
    /// The K block of a group's int8 panels from <paramref name="codes"/> (panels <paramref name="k"/> × nr codes apart)
    /// widened into the thread's group scratch, panels kc × nr floats apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float WidenGroup(ref sbyte codes, int k, int kc, int nr)
    {
        int count = kc * nr;
        ref float dst = ref MemoryMarshal.GetReference(ThreadScratch.Get(ref t_group, SparseGroupChannels * kc));
        for (int g = 0; g < SparseGroupChannels / nr; g++)
        {
            WidenInt8x8(ref Unsafe.Add(ref codes, (nint)g * k * nr), ref Unsafe.Add(ref dst, g * count), count);
        }

        return ref dst;
    }

    private static int[] LeftPackTable()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
        {
            int n = 0;
            for (int lane = 0; lane < 8; lane++)
            {
                if ((mask & (1 << lane)) != 0)
                {
                    table[(mask * 8) + n++] = lane;
                }
            }
        }

        return table;
    }
}

/// <summary>How a sparse row step treats its 8 sums: start from the carried ones, leave them there instead of storing.</summary>
[Flags]
internal enum SparseCarry
{
    /// <summary>Start from zero and store through the epilogue (a block in one step).</summary>
    None = 0,

    /// <summary>Start from the sums the row's previous step left.</summary>
    Resume = 1,

    /// <summary>Leave the sums for the next step (not the block's last).</summary>
    Suspend = 2,
}
