using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Dense over a batch as a packed, cache-blocked GEMM: <c>y[M×N] = act(x[M×K] · Wᵀ + bias)</c> with M = input rows.
/// Weights are dequantised once per process into panels of NR output channels, <c>panel[k][NR]</c>
/// (<see cref="WeightMatrix.PackedDense"/>); each call walks K in equal blocks (<see cref="BlockK"/>), and inside a
/// block every panel slice (at most <see cref="SliceFloats"/>: 32 KB) stays in L1 while all row blocks pass over it,
/// and the x block (M × block) stays in L2. Register tiles (<c>DenseGemm.Tiles.cs</c>): AVX-512 8 × 32, AVX2 6 × 16, 128-bit
/// 6 × 8. Whole panels' tiles accumulate in y itself and the last K block's tiles add the bias and apply ReLU before
/// their stores (<see cref="TileEpilogue"/>); a last panel with fewer than NR channels (N not a multiple of NR)
/// accumulates in an NR-wide per-thread scratch, and a last pass adds its bias, applies the activation and copies its
/// real channels to y.
/// </summary>
/// <remarks>
/// Memory: the packed panels are float32, 4 bytes per weight next to the 1-byte int8 (or fewer-bit) copy the blob
/// keeps, made on the first call with ≥ <see cref="MinRows"/> rows (batch-1 calls never create them). Int8 layers
/// above <see cref="MaxFloatPanelWeights"/> keep int8 panels instead (1 byte per weight), each K block widened per call
/// into an L1 scratch; see IMPLEMENTATION.md.
/// </remarks>
internal static partial class DenseGemm
{
    /// <summary>Input rows from which the GEMM runs; fewer rows keep <see cref="DenseBatch"/> / the dot-product kernels.</summary>
    public const int MinRows = 8;

    /// <summary>K block of the compact-code GEMM (<see cref="DirectGemm"/>): 256 floats per row.</summary>
    public const int Kc = 256;

    /// <summary>
    /// Most floats of one panel's K block (32 KB, L1's size): K blocks of 256 for 32-channel panels (AVX-512) and 512 for
    /// 16-channel ones (AVX2). On AVX2 the 512-deep blocks measured 3–5 % faster than 256 at batch 64 (784 → 256 and
    /// 3136 → 128, `quick` A/B on Zen 3): fewer passes over the accumulator, and the slice still mostly in L1.
    /// </summary>
    public const int SliceFloats = 8192;

    /// <summary>
    /// Int8 layers with at most this many weights (1 MB as floats) get float panels, larger ones int8 panels widened per
    /// call: the widening is ~4 % of a batch-64 call (784 → 256 at batch 64: float panels 0.93–0.96× the time, Zen 3),
    /// and for a small layer its 3 extra bytes per weight are little memory.
    /// </summary>
    public const int MaxFloatPanelWeights = 1 << 18;

    /// <summary>
    /// The K block for K = <paramref name="k"/> and panels of <paramref name="nr"/> channels: the fewest blocks whose panel
    /// slice (block × NR floats) is at most <see cref="SliceFloats"/>, all of one size (a multiple of 8), so no block is a
    /// short remainder that pays a full pass of the accumulator for a few products (784 = 2 × 392, not 3 × 256 + 16).
    /// </summary>
    internal static int BlockK(int k, int nr)
    {
        int max = SliceFloats / nr;
        int blocks = (k + max - 1) / max;
        return Math.Min(max, (((k + blocks - 1) / blocks) + 7) & ~7);
    }

    /// <summary>Layers above this many weights (64 MB as floats) keep the unpacked kernels.</summary>
    public const long MaxPackedWeights = 1 << 24;

    [ThreadStatic]
    private static float[]? t_lastPanel;

    [ThreadStatic]
    private static Job? t_job;

    // One K block of one panel widened from int8 panels (at most SliceFloats, 32 KB), per thread.
    [ThreadStatic]
    private static float[]? t_panel;

    /// <summary>
    /// Whether int8 symmetric weights above <see cref="MaxFloatPanelWeights"/> are packed as int8 panels and widened per K
    /// block and call (true) or packed once as float panels (false: 3 more bytes per weight held, no widening). A switch
    /// for the benchmarks' A/B only.
    /// </summary>
    internal static bool Int8Panels { get; set; } = true;

    /// <summary>Whether <see cref="Run"/> handles a call (SIMD level, enough rows, weights small enough to pack).</summary>
    public static bool Applies(SimdLevel level, int rows, WeightMatrix w) =>
        level != SimdLevel.Scalar && rows >= MinRows && (long)w.Rows * w.Cols <= MaxPackedWeights;

    /// <summary>Output channels per panel at <paramref name="level"/> (two vectors).</summary>
    public static int PanelWidth(SimdLevel level) =>
        level == SimdLevel.Vector256 ? (Wide512.Enabled ? 32 : 16) : 8;

    /// <summary>
    /// Int8 symmetric weights as panels <c>[⌈N/nr⌉][K][nr]</c> of codes (channels past N are 0) and their scales padded
    /// to whole panels: the layout of <see cref="Pack"/> at 1 byte per weight instead of 4.
    /// </summary>
    public static (sbyte[] Codes, float[] Scales) PackInt8(WeightMatrix w, int nr)
    {
        int n = w.Rows, k = w.Cols, panels = (n + nr - 1) / nr;
        ReadOnlySpan<sbyte> codes = w.Int8;
        var packed = new sbyte[(long)panels * k * nr];
        var scales = new float[panels * nr];
        for (int j = 0; j < n; j++)
        {
            long dst = ((long)(j / nr) * k * nr) + (j % nr);
            for (int i = 0, src = j * k; i < k; i++, src++, dst += nr)
            {
                packed[dst] = codes[src];
            }

            scales[j] = w.Scales[j];
        }

        return (packed, scales);
    }

    /// <summary>Rows per register tile for panels of <paramref name="nr"/> channels.</summary>
    private static int TileRows(int nr) => nr == 32 ? 8 : 6;

    /// <summary>The dequantised weights as panels <c>[⌈N/nr⌉][K][nr]</c>; channels past N are zero.</summary>
    public static float[] Pack(WeightMatrix w, int nr)
    {
        var packed = new float[PackedLength(w, nr)];
        PackInto(w, nr, packed);
        return packed;
    }

    /// <summary>The floats <see cref="Pack(WeightMatrix, int)"/> makes: ⌈N / nr⌉ panels × K × nr.</summary>
    internal static long PackedLength(WeightMatrix w, int nr) => (long)((w.Rows + nr - 1) / nr) * w.Cols * nr;

    /// <summary>Packs <paramref name="w"/> into <paramref name="packed"/> (<see cref="PackedLength"/> floats, zero: channels past N are not written).</summary>
    internal static void PackInto(WeightMatrix w, int nr, Span<float> packed)
    {
        int n = w.Rows, k = w.Cols;
        // Row by row (no decoded copy of the whole matrix: on a cold start each fresh page is a page fault).
        WeightMatrix.RowReader rows = w.ReadRows(new float[k]);
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<float> row = rows[j];
            int dst = (j / nr * k * nr) + (j % nr);
            for (int i = 0; i < k; i++, dst += nr)
            {
                packed[dst] = row[i];
            }
        }
    }

    /// <summary>
    /// <c>y[r, j] = act(Σ_k x[r, k]·W[j, k] + bias[j])</c> for <paramref name="rows"/> rows, split over up to
    /// <paramref name="threads"/> threads by output panels (or row blocks when there are fewer panels than threads, and
    /// one row range per thread when x is sparse enough for the sparse-row kernel: <see cref="SplitsByRows"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        RunBody(level, x, w, bias, y, rows, act, threads);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void RunBody(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int rows, Activation act, int threads)
    {
        int nr = PanelWidth(level), mr = TileRows(nr), n = w.Rows, k = w.Cols;
        int panels = (n + nr - 1) / nr, blocks = (rows + mr - 1) / mr;
        bool int8 = Int8Panels && w.Format == WeightFormat.Int8 && w.Direct is null && (long)w.Rows * w.Cols > MaxFloatPanelWeights;
        // Int8 codes are finite; float panels with NaN or ±Inf ("nonFinite": "keep") must multiply every zero of x (0·Inf = NaN).
        Span<float> packed = int8 ? default : w.PackedDense(nr);
        var shape = new Shape(level, rows, n, k, nr, mr, panels, blocks, !bias.IsEmpty, act == Activation.Relu, int8, nr == 32 && s_zmm.Hot((long)rows * n * k),
            int8 || w.PackedDenseFinite(nr));

        int parts = Parts(ref shape, ref MemoryMarshal.GetReference(x), threads);

        (sbyte[] codes, float[] scales) = int8 ? w.PackedDenseInt8(nr) : ([], []);
        if (parts == 1)
        {
            Part(shape, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(packed), ref MemoryMarshal.GetArrayDataReference(codes),
                ref MemoryMarshal.GetArrayDataReference(scales), ref MemoryMarshal.GetReference(bias), ref MemoryMarshal.GetReference(y), 0, 1);
            return;
        }

        fixed (float* px = x, pw = packed, ps = scales, pb = bias, py = y)
        fixed (sbyte* pq = codes)
        {
            var job = t_job ??= new Job();
            job.Set(shape, px, pw, pq, ps, pb, py);
            IntraOp.Run(job, parts, threads);
            job.Set(shape, null, null, null, null, null, null);
        }
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/>: its panel range (or row-block range), all K blocks, then its outputs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Part(in Shape s, ref float x, ref float packed, ref sbyte codes, ref float scales, ref float bias, ref float y, int part, int parts)
    {
        bool byPanels = !s.ByRows && s.Panels >= parts;
        int p0 = byPanels ? s.Panels * part / parts : 0, p1 = byPanels ? s.Panels * (part + 1) / parts : s.Panels;
        int b0 = byPanels ? 0 : s.Blocks * part / parts, b1 = byPanels ? s.Blocks : s.Blocks * (part + 1) / parts;
        int whole = s.N / s.Nr;
        if (p0 < Math.Min(p1, whole))
        {
            Panels(in s, ref x, ref packed, ref codes, ref scales, ref bias, ref y, s.N, p0, Math.Min(p1, whole), 0, b0, b1, intoY: true);
        }

        if (p1 > whole)
        {
            // The last panel has fewer than NR channels: its tiles store whole panels, which in y would run into the next
            // row, so it accumulates in an NR-wide scratch (rows × NR floats; the accumulator used to be rows × all panels,
            // 1.1 MB of fresh pages for ppocr_rec's 120 → 6625 over 40 steps) and is finished from there.
            Span<float> last = ThreadScratch.Get(ref t_lastPanel, s.Blocks * s.Mr * s.Nr);
            ref float sums = ref MemoryMarshal.GetReference(last);
            Panels(in s, ref x, ref packed, ref codes, ref scales, ref bias, ref sums, s.Nr, whole, whole + 1, whole, b0, b1, intoY: false);
            int r0 = b0 * s.Mr, r1 = Math.Min(s.Rows, b1 * s.Mr);
            if (s.Level == SimdLevel.Vector256)
            {
                Finish<Vector256Width, Vector256<float>>(s, ref bias, ref scales, ref sums, ref y, r0, r1, whole * s.Nr);
            }
            else
            {
                Finish<Vector128Width, Vector128<float>>(s, ref bias, ref scales, ref sums, ref y, r0, r1, whole * s.Nr);
            }
        }
    }

    /// <summary>
    /// Panels [<paramref name="p0"/>, <paramref name="p1"/>) over row blocks [<paramref name="b0"/>, <paramref name="b1"/>)
    /// and all K blocks, into <paramref name="sums"/> (row stride <paramref name="ldc"/>, panel p's channels from column
    /// (p − <paramref name="pBase"/>)·NR). Whole panels into y (<paramref name="intoY"/>) get the fused epilogue on the
    /// last K block and may run sparse; the partial last panel (into its scratch) gets neither.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Panels(in Shape s, ref float x, ref float packed, ref sbyte codes, ref float scales, ref float bias, ref float sums, nint ldc,
        int p0, int p1, int pBase, int b0, int b1, bool intoY)
    {
        PanelsBody(in s, ref x, ref packed, ref codes, ref scales, ref bias, ref sums, ldc, p0, p1, pBase, b0, b1, intoY);
    }

    // Panels' body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelsBody(in Shape s, ref float x, ref float packed, ref sbyte codes, ref float scales, ref float bias, ref float sums, nint ldc,
        int p0, int p1, int pBase, int b0, int b1, bool intoY)
    {
        // Int8 panels hold codes: the channel scales are applied with the bias, once per output.
        var fused = (s.HasBias ? TileEpilogue.Bias : TileEpilogue.None) | (s.Relu ? TileEpilogue.Relu : TileEpilogue.None)
            | (s.Int8 ? TileEpilogue.Scale : TileEpilogue.None);
        int kBlock = BlockK(s.K, s.Nr);
        for (int pc = 0; pc < s.K; pc += kBlock)
        {
            int kc = Math.Min(kBlock, s.K - pc);
            var epilogue = intoY && pc + kc == s.K ? fused : TileEpilogue.None;
            // Whole groups of panels go row by row over x's nonzeros when most of this block is zero (DenseGemm.SparseRows.cs).
            int pDense = intoY && SparseApplies(s, p0, p1)
                ? SparseBlock(s, ref x, ref packed, ref codes, ref scales, ref bias, ref sums, ldc, pc, kc, p0, p1, b0 * s.Mr, Math.Min(s.Rows, b1 * s.Mr), epilogue)
                : p0;
            for (int p = pDense; p < p1; p++)
            {
                ref float pb = ref s.HasBias ? ref Unsafe.Add(ref bias, (nint)p * s.Nr) : ref Unsafe.NullRef<float>();
                ref float ps = ref s.Int8 ? ref Unsafe.Add(ref scales, (nint)p * s.Nr) : ref Unsafe.NullRef<float>();
                nint column = (nint)(p - pBase) * s.Nr;
                int b = b0;
                scoped ref float panel = ref Unsafe.NullRef<float>();
                if (!s.Int8)
                {
                    panel = ref Unsafe.Add(ref packed, (((nint)p * s.K) + pc) * s.Nr);
                }
                else if (s.Nr != 32 && s.Rows - (b0 * s.Mr) > 4)
                {
                    // The first row block widens the int8 panel while it multiplies; the others read the floats it stored.
                    ref sbyte pq = ref Unsafe.Add(ref codes, (((nint)p * s.K) + pc) * s.Nr);
                    panel = ref MemoryMarshal.GetReference(ThreadScratch.Get(ref t_panel, kc * s.Nr));
                    int r = b0 * s.Mr;
                    ref float xr = ref Unsafe.Add(ref x, ((nint)r * s.K) + pc);
                    ref float c = ref Unsafe.Add(ref sums, ((nint)r * ldc) + column);
                    if (s.Level == SimdLevel.Vector256)
                    {
                        Tile6x2Int8<Vector256Width, Vector256<float>>(ref xr, s.K, Math.Min(s.Mr, s.Rows - r), ref pq, s.Nr, kc, ref panel, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }
                    else
                    {
                        Tile6x2Int8<Vector128Width, Vector128<float>>(ref xr, s.K, Math.Min(s.Mr, s.Rows - r), ref pq, s.Nr, kc, ref panel, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }

                    b++;
                }
                else
                {
                    panel = ref Widen(s, ref Unsafe.Add(ref codes, (((nint)p * s.K) + pc) * s.Nr), kc);
                }

                for (; b < b1; b++)
                {
                    int r = b * s.Mr;
                    ref float xr = ref Unsafe.Add(ref x, ((nint)r * s.K) + pc);
                    ref float c = ref Unsafe.Add(ref sums, ((nint)r * ldc) + column);
                    int live = Math.Min(s.Mr, s.Rows - r);
                    if (s.Nr == 32 && s.Zmm)
                    {
                        Tile8x2Zmm(ref xr, s.K, live, ref panel, kc, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }
                    else if (s.Nr == 32)
                    {
                        ZmmTwin(s, ref xr, live, ref panel, kc, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }
                    else if (s.Level == SimdLevel.Vector256)
                    {
                        TileUpTo6x2<Vector256Width, Vector256<float>>(ref xr, s.K, live, ref panel, s.Nr, kc, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }
                    else
                    {
                        TileUpTo6x2<Vector128Width, Vector128<float>>(ref xr, s.K, live, ref panel, s.Nr, kc, ref c, ldc, pc > 0, epilogue, ref pb, ref ps);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Tile8x2Zmm(ref float, nint, int, ref float, int, ref float, nint, bool, TileEpilogue, ref float, ref float)"/>'s block (up to 8 rows × a 32-channel panel) through the precompiled 256-bit 4-row tile:
    /// each 16-channel half of the panel (its rows 32 floats apart) for rows 0–3, then 4–7 (a tile stores all its rows, so
    /// a 6-row one would write past the block into the next one's accumulator rows). Every output is the same FMA chain
    /// over the K block as in the 512-bit tile, so a process switching between the two changes no bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ZmmTwin(in Shape s, ref float x, int live, ref float panel, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        ZmmTwinBody(in s, ref x, live, ref panel, kc, ref c, ldc, accumulate, epilogue, ref bias, ref scale);
    }

    // ZmmTwin's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZmmTwinBody(in Shape s, ref float x, int live, ref float panel, int kc, ref float c, nint ldc, bool accumulate, TileEpilogue epilogue, ref float bias, ref float scale)
    {
        for (int half = 0; half < 32; half += 16)
        {
            ref float halfBias = ref Unsafe.IsNullRef(ref bias) ? ref bias : ref Unsafe.Add(ref bias, half);
            ref float halfScale = ref Unsafe.IsNullRef(ref scale) ? ref scale : ref Unsafe.Add(ref scale, half);
            for (int r = 0; r < live; r += 4)
            {
                Tile4x2<Vector256Width, Vector256<float>>(ref Unsafe.Add(ref x, (nint)r * s.K), s.K, Math.Min(4, live - r), ref Unsafe.Add(ref panel, half), 32, kc,
                    ref Unsafe.Add(ref c, (r * ldc) + half), ldc, accumulate, epilogue, ref halfBias, ref halfScale);
            }
        }
    }

    /// <summary>
    /// Multiply-adds (rows × N × K) a process runs through <see cref="ZmmTwin"/> before AVX-512 hardware turns to
    /// <see cref="Tile8x2Zmm(ref float, nint, int, ref float, int, ref float, nint, bool, TileEpilogue, ref float, ref float)"/>, which has no ReadyToRun code there and costs about 2.3 ms of JIT (ppocr_rec's first
    /// prediction: its two Dense layers over 40 time steps, 21 M multiply-adds, took 8.3 ms the first time and 0.6 ms the
    /// second). The rule of <see cref="ConvGemm.ZmmAfterMacs"/>: compile once the work done would have paid for it.
    /// </summary>
    internal static long ZmmAfterMacs { get => s_zmm.AfterMacs; set => s_zmm.AfterMacs = value; }

    private static readonly ZmmSwitch s_zmm = new(250_000_000);

    /// <summary>
    /// <paramref name="kc"/> rows of an int8 panel (<c>[k][NR]</c> codes) widened to floats into the thread's scratch
    /// (the codes: the channel scales are applied per output, <see cref="TileEpilogue.Scale"/>). Used where
    /// <see cref="Tile6x2Int8{TW, TV}"/> cannot widen in the first row block (512-bit panels, a part starting with
    /// fewer than 5 rows). The scratch (≤ 32 KB) stays in L1 for the tiles that reuse it.
    /// </summary>
    private static ref float Widen(in Shape s, ref sbyte codes, int kc)
    {
        int count = kc * s.Nr;
        ref float dst = ref MemoryMarshal.GetReference(ThreadScratch.Get(ref t_panel, count));
        if (s.Level == SimdLevel.Vector256)
        {
            WidenInt8x8(ref codes, ref dst, count);
        }
        else
        {
            for (nint i = 0; i < count; i += 4)
            {
                Simd.LoadInt8x4(ref Unsafe.Add(ref codes, i)).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        return ref dst;
    }

    /// <summary><paramref name="count"/> (a multiple of 8) int8 codes widened to floats, 8 per <c>vpmovsxbd</c> + convert.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenInt8x8(ref sbyte codes, ref float dst, int count)
    {
        for (nint i = 0; i < count; i += 8)
        {
            Simd.LoadInt8x8(ref Unsafe.Add(ref codes, i)).StoreUnsafe(ref dst, (nuint)i);
        }
    }

    /// <summary>
    /// The partial last panel's outputs: rows [<paramref name="r0"/>, <paramref name="r1"/>), channels
    /// <paramref name="j0"/> … N − 1, from its scratch (<paramref name="sums"/>, rows NR apart, column 0 = channel
    /// <paramref name="j0"/>) to y, with the scale, bias and ReLU the tiles' <see cref="TileEpilogue"/> applies, in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Finish<TW, TV>(in Shape s, ref float bias, ref float scales, ref float sums, ref float y, int r0, int r1, int j0)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        FinishBody<TW, TV>(in s, ref bias, ref scales, ref sums, ref y, r0, r1, j0);
    }

    // Finish's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishBody<TW, TV>(in Shape s, ref float bias, ref float scales, ref float sums, ref float y, int r0, int r1, int j0)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        TV zero = TW.Broadcast(0);
        int width = s.N - j0;
        for (int r = r0; r < r1; r++)
        {
            ref float c = ref Unsafe.Add(ref sums, (nint)r * s.Nr);
            ref float yr = ref Unsafe.Add(ref y, ((nint)r * s.N) + j0);
            int j = 0;
            for (; j <= width - TW.Count; j += TW.Count)
            {
                TV v = TW.Load(ref c, j);
                if (s.Int8)
                {
                    v = TW.MulAdd(v, TW.Load(ref scales, j0 + j), s.HasBias ? TW.Load(ref bias, j0 + j) : zero);
                }
                else if (s.HasBias)
                {
                    v = TW.Add(v, TW.Load(ref bias, j0 + j));
                }

                TW.Store(s.Relu ? TW.Relu(v) : v, ref yr, j);
            }

            for (; j < width; j++)
            {
                float b = s.HasBias ? Unsafe.Add(ref bias, j0 + j) : 0;
                float v = s.Int8 ? (Unsafe.Add(ref c, j) * Unsafe.Add(ref scales, j0 + j)) + b : Unsafe.Add(ref c, j) + b;
                Unsafe.Add(ref yr, j) = s.Relu ? Simd.Relu(v) : v;
            }
        }
    }

    /// <summary>The sizes of one call (a value type so parts share it without allocation).</summary>
    private readonly record struct Shape(SimdLevel Level, int Rows, int N, int K, int Nr, int Mr, int Panels, int Blocks, bool HasBias, bool Relu, bool Int8, bool Zmm, bool FiniteWeights)
    {
        /// <summary>Parallel parts are row blocks over all panels (<see cref="SplitsByRows"/>), not panel ranges.</summary>
        public bool ByRows { get; init; }
    }

    /// <summary>A parallel call's operands as pointers (fixed by <see cref="Run"/> for the call's duration).</summary>
    private sealed unsafe class Job : IntraOp.IWork
    {
        private Shape _shape;
        private float* _x, _packed, _scales, _bias, _y;
        private sbyte* _codes;

        public void Set(Shape shape, float* x, float* packed, sbyte* codes, float* scales, float* bias, float* y)
        {
            _shape = shape;
            _x = x;
            _packed = packed;
            _codes = codes;
            _scales = scales;
            _bias = bias;
            _y = y;
        }

        public void Run(int part, int parts) =>
            Part(_shape, ref *_x, ref *_packed, ref *_codes, ref *_scales, ref *_bias, ref *_y, part, parts);
    }
}
