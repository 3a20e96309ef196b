using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// The packed path: weights dequantised once per process (<see cref="WeightMatrix.PackedConv"/>) and laid out
/// as <c>packed[block][k][4]</c>, 4 output channels per block (zero rows pad the last block of a group), so a
/// tile's broadcasts come from one sequential stream. The AVX2 tile is 4 channels × 24 pixels: 12 accumulators,
/// 3 pixel vectors and 1 broadcast fill the 16 registers and give 12 independent FMAs per k, enough to
/// cover FMA latency. Pixel tails reuse a narrower tile placed to end at the last pixel. Every tile computes an output
/// as one FMA chain over k except the 8-wide one (<see cref="Tile8"/>, even and odd k apart), so a pixel another tile
/// recomputes gets the same bits, and one the 8-wide tile recomputes (it is written last) may differ in the last bit.
/// </summary>
internal static partial class ConvGemm
{
    /// <summary>Channels per packed block.</summary>
    public const int Mr = 4;

    /// <summary>
    /// The tail and panel rules of 2026-12-01 (8-wide last tile, panel copy only for strides that crowd L1 sets); false
    /// restores the previous ones, for the benchmarks' in-process A/B (`-- quick conv-ab`). Results are bit-identical
    /// to the previous rules except for pixels that the 8-wide tail now computes.
    /// </summary>
    internal static bool NewTailAndPanelRules { get; set; } = true;

    /// <summary>Packs <paramref name="w"/> for groups of <paramref name="ocg"/> rows; see the class summary.</summary>
    public static float[] Pack(WeightMatrix w, int ocg)
    {
        var packed = new float[PackedLength(w, ocg)];
        PackInto(w, ocg, packed);
        return packed;
    }

    /// <summary>The floats <see cref="Pack(WeightMatrix, int)"/> makes: groups × ⌈ocg / 4⌉ blocks × 4 × K.</summary>
    internal static long PackedLength(WeightMatrix w, int ocg) => (long)(w.Rows / ocg) * ((ocg + Mr - 1) / Mr) * Mr * w.Cols;

    /// <summary>Packs <paramref name="w"/> into <paramref name="packed"/> (<see cref="PackedLength"/> floats, zero: padding rows are not written).</summary>
    internal static void PackInto(WeightMatrix w, int ocg, Span<float> packed)
    {
        int k = w.Cols, groups = w.Rows / ocg, blocks = (ocg + Mr - 1) / Mr;
        WeightMatrix.RowReader rows = w.ReadRows(new float[k]);
        for (int g = 0; g < groups; g++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int dst = ((g * blocks) + b) * Mr * k;
                for (int r = 0; r < Mr && (b * Mr) + r < ocg; r++)
                {
                    ReadOnlySpan<float> row = rows[(g * ocg) + (b * Mr) + r];
                    for (int i = 0; i < k; i++)
                    {
                        packed[dst + (i * Mr) + r] = row[i];
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>y[j, px] = ep(Σ_i W[j, i]·col[i, px])</c> for the <paramref name="m"/> channels of one group, whose
    /// packed blocks start at <paramref name="pw"/>. Pixel tiles are the outer loop, so one tile's slice of
    /// <c>col</c> (K × 24 floats, 27 KB for K = 288) stays in L1 while every channel block passes over it;
    /// the other order would stream the whole <c>col</c> matrix (226 KB for 14×14) from L2 once per block.
    /// On the 256-bit and 128-bit paths, when several channel blocks share a tile, its slice is first copied into a contiguous panel
    /// (<see cref="Panel"/>): <c>col</c>'s rows are p floats apart, and for p a multiple of 256 (16×16, 32×32, 64×64
    /// images) every row of the slice falls into the same few L1 sets, so a K × 24 slice of 2 lines per row does not
    /// stay in L1 even when it would fit (BlazeFace's 24 → 28 1×1 conv on 64×64 ran at half the FMA rate).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RunPacked(SimdLevel level, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
    {
        RunPackedBody(level, ref pw, m, ref col, k, p, ref y, j0, in ep);
    }

    // RunPacked's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunPackedBody(SimdLevel level, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
    {
        int px = 0;
        if (level == SimdLevel.Vector256 && Wide512.Enabled && ZmmTiles && p >= 16 && s_zmm.Hot((long)m * k * p))
        {
            px = ZmmColumns(ref pw, m, ref col, k, p, ref y, j0, ep);
        }

        if (level == SimdLevel.Vector256 && p >= 8)
        {
            // The last 1–23 pixels: one 24-, 16- or 8-wide tile placed to end at the last pixel (recomputing a few; 16-wide
            // tiles when fewer than 24 pixels exist), the narrowest that covers them: 8-wide tiles run at about half the
            // 24-wide tile's rate per pixel, but a last 1–8 pixels (49 = 48 + 1: 7×7 images) in a 24-wide tile recomputed
            // up to 23 (SqueezeNet's 7×7 convs, with the panel rule below: 3×3 0.80–0.86× the time, 1×1 0.64–0.81×,
            // `-- quick conv-ab`).
            px = Columns<Tile24Ymm>(px, ref pw, m, ref col, k, p, ref y, j0, ep, whole: true, pack: true);
            px = TailTile(px, p) switch
            {
                0 => p,
                1 => PixelTail(px, ref pw, m, ref col, k, p, ref y, j0, ep),
                24 => Columns<Tile24Ymm>(px, ref pw, m, ref col, k, p, ref y, j0, ep, whole: false, pack: true),
                16 => Columns<Tile16Ymm>(px, ref pw, m, ref col, k, p, ref y, j0, ep, whole: false, pack: true),
                _ => Columns<Tile8Ymm>(px, ref pw, m, ref col, k, p, ref y, j0, ep, whole: false, pack: true),
            };
        }
        else if (level != SimdLevel.Scalar && p >= 4)
        {
            px = Columns<Tile4Xmm>(0, ref pw, m, ref col, k, p, ref y, j0, ep, whole: false, pack: true);
        }

        for (; px < p; px++)
        {
            for (int jb = 0; jb < m; jb += Mr)
            {
                ref float wb = ref Unsafe.Add(ref pw, (nint)jb * k);
                for (int r = 0; r < Math.Min(Mr, m - jb); r++)
                {
                    float dot = 0;
                    for (int i = 0; i < k; i++)
                    {
                        dot += Unsafe.Add(ref wb, (i * Mr) + r) * Unsafe.Add(ref col, ((nint)i * p) + px);
                    }

                    ep.Store(j0 + jb + r, dot, ref Unsafe.Add(ref y, ((nint)(jb + r) * p) + px));
                }
            }
        }
    }

    /// <summary>
    /// What the 256-bit path computes pixels <paramref name="px"/> … p − 1 with, after its whole 24-pixel tiles: 0 nothing
    /// left, 1 <see cref="PixelTail"/>, or the width of one tile placed to end at the last pixel (24, 16 or 8).
    /// </summary>
    private static int TailTile(int px, int p) =>
        px >= p ? 0
        : px > 0 && p - px <= MaxPixelTail && PixelTails ? 1
        : (p - px > 16 || !NewTailAndPanelRules) && p >= 24 ? 24
        : (p - px > 8 || !NewTailAndPanelRules) && p >= 16 ? 16
        : 8;

    /// <summary>
    /// Multiply-adds (channels × K × pixels) a process runs through the 256-bit tiles before AVX-512 hardware turns to the
    /// 512-bit ones (<see cref="ZmmColumns"/>). Those have no ReadyToRun code there and cost 7–8 ms of JIT, while the 256-bit
    /// tiles are precompiled and take about 1 ms more per 100 M multiply-adds (ppocr_rec, 615 M a prediction: 18.3 against
    /// 11.9 ms), so a process pays for the compile once it has done about as much work as the compile would have saved
    /// (the rule that never pays more than twice the best choice in hindsight): small models never do, ppocr_rec in its
    /// second prediction. Both widths compute every output with the same FMA chain over k (<see cref="ZmmColumns"/>), so
    /// when the switch happens changes no result bit.
    /// </summary>
    internal static long ZmmAfterMacs { get => s_zmm.AfterMacs; set => s_zmm.AfterMacs = value; }

    private static readonly ZmmSwitch s_zmm = new(1_000_000_000);

    /// <summary>
    /// The 512-bit tiles (32 registers, so 8 × 48 fits where 4 × 24 does in 16): whole 48-pixel tiles, then 16-pixel ones,
    /// the last placed to end at the last pixel (recomputing a few). 8-channel tiles while 8 channels remain, then
    /// 4-channel ones for the rest (<see cref="Tile48Zmm"/>, or the 256-bit <see cref="Tile16Ymm"/> at 16 pixels: a
    /// 4 × 16 tile has too few accumulators for 512-bit FMA latency). Every output is one FMA chain over k, as in the 256-bit path, except in
    /// that path's 8-pixel tail tile (<see cref="Tile8"/>: even and odd k apart), so where that path ends with one this
    /// leaves it the last 8 pixels and returns p − 8, and both paths give the same bits. Where that path ends with
    /// <see cref="PixelTail"/> (1–3 pixels after its 24-pixel tiles: 49 = 48 + 1 for 7 × 7 maps) this leaves those to it
    /// too, instead of a 16-pixel tile that recomputes up to 15 (SqueezeNet's 1 × 1 convs on 7 × 7 maps: a quarter of
    /// their multiply-adds). No panel copy: the 8-channel tiles load each col vector once per 8 channels, and with the
    /// copy BlazeFace and ppocr_det measured no faster.
    /// </summary>
    /// <returns>The first pixel left to the 256-bit path: p, p − 8, or the end of the 256-bit path's 24-pixel tiles.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ZmmColumns(ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
    {
        return ZmmColumnsBody(ref pw, m, ref col, k, p, ref y, j0, in ep);
    }

    // ZmmColumns's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ZmmColumnsBody(ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
    {
        int tail = TailTile(p / 24 * 24, p), px = 0;
        int end = tail == 8 ? p - 8 : tail == 1 ? p / 24 * 24 : p;
        for (; px <= end - 48; px += 48)
        {
            ref float c = ref Unsafe.Add(ref col, px);
            int jb = 0;
            for (; jb <= m - 8; jb += 8)
            {
                Tile8x48Zmm.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref c, k, p, p, ref Unsafe.Add(ref y, ((nint)jb * p) + px), j0 + jb, ep);
            }

            for (; jb < m; jb += Mr)
            {
                Tile48Zmm.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref c, k, p, p, ref Unsafe.Add(ref y, ((nint)jb * p) + px), j0 + jb, Math.Min(Mr, m - jb), ep);
            }
        }

        for (; px < end; px += 16)
        {
            int at = Math.Min(px, end - 16);
            ref float c = ref Unsafe.Add(ref col, at);
            int jb = 0;
            for (; jb <= m - 8; jb += 8)
            {
                Tile8x16Zmm.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref c, k, p, p, ref Unsafe.Add(ref y, ((nint)jb * p) + at), j0 + jb, ep);
            }

            for (; jb < m; jb += Mr)
            {
                Tile16Ymm.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref c, k, p, p, ref Unsafe.Add(ref y, ((nint)jb * p) + at), j0 + jb, Math.Min(Mr, m - jb), ep);
            }
        }

        return end;
    }

    /// <summary>
    /// Last pixels (after whole 24-wide tiles) that <see cref="PixelTail"/> takes instead of an 8-wide tile: it spends
    /// ½ cycle per pixel, channel block and k (8 channel blocks' 128-bit FMAs per broadcast), the 8-wide tile 2 cycles
    /// for up to 8 pixels, so it wins for 1–3. Odd square outputs leave 1 (5², 7², 11², 13² … ≡ 1 mod 24).
    /// </summary>
    internal const int MaxPixelTail = 3;

    /// <summary>Whether <see cref="PixelTail"/> takes the last 1–3 pixels (false: an 8-wide tile, as before; benchmarks' A/B).</summary>
    internal static bool PixelTails { get; set; } = true;

    /// <summary>Whether AVX-512 hardware takes the 512-bit tiles (false: the 256-bit path; benchmarks' A/B).</summary>
    internal static bool ZmmTiles { get; set; } = true;

    /// <summary>
    /// Pixels <paramref name="px"/> … p − 1 one at a time, 8 channel blocks (32 channels) per pass: per k one broadcast
    /// of the pixel's col value and one 128-bit FMA per block of 4 channels (<c>packed[block][k][4]</c> is a vector).
    /// Each output is the single FMA chain over k from 0 that <see cref="Tile24"/> computes, so a pixel gets the same
    /// bits here as in a 24-wide tile.
    /// </summary>
    /// <returns>p.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int PixelTail(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
    {
        Span<float> sums = stackalloc float[8 * Mr];
        return PixelTailBody(px, ref pw, m, ref col, k, p, ref y, j0, in ep, sums);
    }

    // PixelTail's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PixelTailBody(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep, Span<float> sums)
    {
        for (; px < p; px++)
        {
            for (int jb = 0; jb < m; jb += 8 * Mr)
            {
                int blocks = Math.Min(8, (m - jb + Mr - 1) / Mr);
                ref float wb = ref Unsafe.Add(ref pw, (nint)jb * k);
                if (blocks == 8)
                {
                    Dot8Blocks(ref wb, ref Unsafe.Add(ref col, px), k, p, ref MemoryMarshal.GetReference(sums));
                }
                else
                {
                    DotBlocks(ref wb, ref Unsafe.Add(ref col, px), k, p, blocks, ref MemoryMarshal.GetReference(sums));
                }

                for (int b = 0; b < blocks; b++)
                {
                    int j = jb + (b * Mr);

                    // Two blocks' 8 channels as one vector where the epilogue allows (the per-output stores were most of this
                    // path's time: squeezenet's 1×1 convs on 7×7 leave 1 pixel in 49).
                    if (b % 2 == 0 && b + 1 < blocks && j + 8 <= m
                        && ep.TryStoreChannels(j0 + j, Vector256.LoadUnsafe(ref sums[b * Mr]), ref Unsafe.Add(ref y, ((nint)j * p) + px), p))
                    {
                        b++;
                        continue;
                    }

                    for (int r = 0; r < Math.Min(Mr, m - j); r++)
                    {
                        ep.Store(j0 + j + r, sums[(b * Mr) + r], ref Unsafe.Add(ref y, ((nint)(j + r) * p) + px));
                    }
                }
            }
        }

        return p;
    }

    /// <summary>8 channel blocks' dots with one pixel's col values (rows <paramref name="ldc"/> apart), in 8 registers, stored to <paramref name="sums"/> (32 floats).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Dot8Blocks(ref float w, ref float x, int k, int ldc, ref float sums)
    {
        Dot8BlocksBody(ref w, ref x, k, ldc, ref sums);
    }

    // Dot8Blocks's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot8BlocksBody(ref float w, ref float x, int k, int ldc, ref float sums)
    {
        nint stride = (nint)k * Mr;
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < k; i++)
        {
            Vector128<float> v = Vector128.Create(Unsafe.Add(ref x, (nint)i * ldc));
            ref float wi = ref Unsafe.Add(ref w, i * Mr);
            a0 = Simd.MulAdd(Vector128.LoadUnsafe(ref wi), v, a0);
            a1 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, stride)), v, a1);
            a2 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 2 * stride)), v, a2);
            a3 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 3 * stride)), v, a3);
            a4 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 4 * stride)), v, a4);
            a5 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 5 * stride)), v, a5);
            a6 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 6 * stride)), v, a6);
            a7 = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wi, 7 * stride)), v, a7);
        }

        a0.StoreUnsafe(ref sums);
        a1.StoreUnsafe(ref sums, 4);
        a2.StoreUnsafe(ref sums, 8);
        a3.StoreUnsafe(ref sums, 12);
        a4.StoreUnsafe(ref sums, 16);
        a5.StoreUnsafe(ref sums, 20);
        a6.StoreUnsafe(ref sums, 24);
        a7.StoreUnsafe(ref sums, 28);
    }

    /// <summary>The first <paramref name="blocks"/> (&lt; 8) blocks' dots, one block at a time (the same chain per output).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DotBlocks(ref float w, ref float x, int k, int ldc, int blocks, ref float sums)
    {
        DotBlocksBody(ref w, ref x, k, ldc, blocks, ref sums);
    }

    // DotBlocks's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotBlocksBody(ref float w, ref float x, int k, int ldc, int blocks, ref float sums)
    {
        for (int b = 0; b < blocks; b++)
        {
            ref float wb = ref Unsafe.Add(ref w, (nint)b * k * Mr);
            Vector128<float> a = default;
            for (int i = 0; i < k; i++)
            {
                a = Simd.MulAdd(Vector128.LoadUnsafe(ref Unsafe.Add(ref wb, i * Mr)), Vector128.Create(Unsafe.Add(ref x, (nint)i * ldc)), a);
            }

            a.StoreUnsafe(ref sums, (nuint)(b * Mr));
        }
    }

    /// <summary>
    /// Runs tile <typeparamref name="T"/> over pixel columns from <paramref name="px"/>: only whole tiles, or
    /// (<paramref name="whole"/> false) up to the end, the last tile shifted left to end at pixel p − 1.
    /// </summary>
    /// <returns>The first pixel not yet computed.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Columns<T>(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep, bool whole, bool pack)
        where T : struct, ITile
    {
        return ColumnsBody<T>(px, ref pw, m, ref col, k, p, ref y, j0, in ep, whole, pack);
    }

    // Columns's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ColumnsBody<T>(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep, bool whole, bool pack)
        where T : struct, ITile
    {
        if (whole && pack && CopiesPanel(m, p, T.Width))
        {
            px = GroupedColumns<T>(px, ref pw, m, ref col, k, p, ref y, j0, ep);
        }

        for (; whole ? px <= p - T.Width : px < p; px += T.Width)
        {
            int at = Math.Min(px, p - T.Width);
            ref float c = ref Panel(ref col, at, k, p, T.Width, pack ? m : 0, out int ldc);
            for (int jb = 0; jb < m; jb += Mr)
            {
                T.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref c, k, ldc, p, ref Unsafe.Add(ref y, ((nint)jb * p) + at), j0 + jb, Math.Min(Mr, m - jb), ep);
            }
        }

        return whole ? px : p;
    }

    /// <summary>Most floats of the panels <see cref="GroupedColumns{T}"/> copies at once (16 KB, half of L1).</summary>
    private const int GroupFloats = 4096;

    /// <summary>
    /// The whole tiles from <paramref name="px"/> on, where their col slices are copied (<see cref="Panel"/>'s rule): up to 8
    /// tiles' panels at a time, then each channel block over all of them, so a block writes its 4 output rows (and reads
    /// their residual) a few tiles wide instead of one tile at a time. With one tile per pass, the 4 rows of every block were
    /// written 24 pixels at a time into lines p floats apart, which for these p crowd a few L1 sets (BlazeFace's 24 → 28
    /// 1×1 conv with its residual on 64×64: 118–121 µs one tile at a time, 106–109 µs grouped). Every tile computes what
    /// it did before, so the bits do not change. Returns the first pixel after the whole tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int GroupedColumns<T>(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
        where T : struct, ITile
    {
        return GroupedColumnsBody<T>(px, ref pw, m, ref col, k, p, ref y, j0, in ep);
    }

    // GroupedColumns's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GroupedColumnsBody<T>(int px, ref float pw, int m, ref float col, int k, int p, ref float y, int j0, in Epilogue ep)
        where T : struct, ITile
    {
        int width = T.Width;
        int group = Math.Clamp(GroupFloats / (k * width), 1, 8);
        float[] buffer = PanelBuffer(group * k * width);
        ref float panel = ref MemoryMarshal.GetArrayDataReference(buffer);
        while (p - px >= width)
        {
            int g = Math.Min(group, (p - px) / width);
            for (int t = 0; t < g; t++)
            {
                CopySlice(ref Unsafe.Add(ref col, px + (t * width)), k, p, width, ref Unsafe.Add(ref panel, t * k * width));
            }

            for (int jb = 0; jb < m; jb += Mr)
            {
                for (int t = 0; t < g; t++)
                {
                    T.Run(ref Unsafe.Add(ref pw, (nint)jb * k), ref Unsafe.Add(ref panel, t * k * width), k, width, p, ref Unsafe.Add(ref y, ((nint)jb * p) + px + (t * width)), j0 + jb, Math.Min(Mr, m - jb), ep);
                }
            }

            px += g * width;
        }

        return px;
    }

    // The contiguous copies of col slices (one tile's, or up to 8 tiles' for GroupedColumns: at most max(4096, 24·K)
    // floats); grown once per thread to the largest seen, so steady-state calls allocate nothing.
    [ThreadStatic]
    private static float[]? t_panel;

    /// <summary>This thread's panel buffer, at least <paramref name="floats"/> long (contents undefined).</summary>
    public static float[] PanelBuffer(int floats) =>
        t_panel is { } t && t.Length >= floats ? t : (t_panel = new float[Math.Max(floats, 2 * (t_panel?.Length ?? 0))]);

    /// <summary>
    /// The col slice of the <paramref name="width"/> pixels from <paramref name="at"/> (K rows, p apart), as the tile
    /// reads it: copied to a contiguous K × width panel (row stride <paramref name="ldc"/> = width) when more than one
    /// channel block of <paramref name="m"/> channels reuses it and the rows are a multiple of 32 floats apart, else
    /// <c>col</c> itself (ldc = p). Rows p floats apart fall into 64 / gcd(p / 16, 64) of the 64 L1 sets: for p a multiple
    /// of 32 into 32 or fewer, and the slice misses L1; other strides (49, 196, 225, 784 pixels) spread over all sets, and
    /// the copy only cost time (mnist-8's 8 → 16 5×5 on 14×14: K = 200, a 4800-float copy per tile for 4 channel
    /// blocks). The values, and so the results, are the same either way. <paramref name="width"/> is a multiple of 4.
    /// </summary>
    private static ref float Panel(ref float col, int at, int k, int p, int width, int m, out int ldc)
    {
        if (!CopiesPanel(m, p, width))
        {
            ldc = p;
            return ref Unsafe.Add(ref col, at);
        }

        float[] panel = PanelBuffer(k * width);
        CopySlice(ref Unsafe.Add(ref col, at), k, p, width, ref MemoryMarshal.GetArrayDataReference(panel));
        ldc = width;
        return ref MemoryMarshal.GetArrayDataReference(panel);
    }

    /// <summary>The <paramref name="k"/> rows of <paramref name="width"/> floats (a multiple of 4) from <paramref name="src"/>, rows <paramref name="p"/> apart, to contiguous <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CopySlice(ref float src, int k, int p, int width, ref float dst)
    {
        CopySliceBody(ref src, k, p, width, ref dst);
    }

    // CopySlice's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopySliceBody(ref float src, int k, int p, int width, ref float dst)
    {
        for (int i = 0; i < k; i++)
        {
            for (int c = 0; c < width; c += 4)
            {
                Vector128.LoadUnsafe(ref src, (nuint)c).StoreUnsafe(ref dst, (nuint)c);
            }

            src = ref Unsafe.Add(ref src, p);
            dst = ref Unsafe.Add(ref dst, width);
        }
    }

    /// <summary>Whether a tile's col slice is copied into a panel first (see <see cref="Panel"/>).</summary>
    private static bool CopiesPanel(int m, int p, int width) => m > Mr && p != width && (p % 32 == 0 || !NewTailAndPanelRules);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tile24(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Tile24Body(ref w, ref col, k, ldc, p, ref y, j, rows, in ep);
    }

    // Tile24's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile24Body(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int i = 0; i < k; i++)
        {
            Vector256<float> xa = Vector256.LoadUnsafe(ref col);
            Vector256<float> xb = Vector256.LoadUnsafe(ref col, 8);
            Vector256<float> xc = Vector256.LoadUnsafe(ref col, 16);
            Vector256<float> v = Vector256.Create(w);
            a0 = Simd.MulAdd(v, xa, a0);
            b0 = Simd.MulAdd(v, xb, b0);
            c0 = Simd.MulAdd(v, xc, c0);
            v = Vector256.Create(Unsafe.Add(ref w, 1));
            a1 = Simd.MulAdd(v, xa, a1);
            b1 = Simd.MulAdd(v, xb, b1);
            c1 = Simd.MulAdd(v, xc, c1);
            v = Vector256.Create(Unsafe.Add(ref w, 2));
            a2 = Simd.MulAdd(v, xa, a2);
            b2 = Simd.MulAdd(v, xb, b2);
            c2 = Simd.MulAdd(v, xc, c2);
            v = Vector256.Create(Unsafe.Add(ref w, 3));
            a3 = Simd.MulAdd(v, xa, a3);
            b3 = Simd.MulAdd(v, xb, b3);
            c3 = Simd.MulAdd(v, xc, c3);
            w = ref Unsafe.Add(ref w, Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (ep.HasResidual)
        {
            Residual3(ep, j, ref a0, ref b0, ref c0, ref y);

            if (rows > 1)
            {
                Residual3(ep, j + 1, ref a1, ref b1, ref c1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                Residual3(ep, j + 2, ref a2, ref b2, ref c2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                Residual3(ep, j + 3, ref a3, ref b3, ref c3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        Store3(ep, j, a0, b0, c0, ref y);
        if (rows > 1)
        {
            Store3(ep, j + 1, a1, b1, c1, ref Unsafe.Add(ref y, p));
        }

        if (rows > 2)
        {
            Store3(ep, j + 2, a2, b2, c2, ref Unsafe.Add(ref y, 2 * p));
        }

        if (rows > 3)
        {
            Store3(ep, j + 3, a3, b3, c3, ref Unsafe.Add(ref y, 3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Residual3(in Epilogue ep, int j, ref Vector256<float> a, ref Vector256<float> b, ref Vector256<float> c, ref float y)
    {
        ep.AddResidual(j, ref a, ref y);
        ep.AddResidual(j, ref b, ref y, 8);
        ep.AddResidual(j, ref c, ref y, 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(in Epilogue ep, int j, Vector256<float> a, Vector256<float> b, Vector256<float> c, ref float y)
    {
        RowEpilogue row = ep.Row(j);
        row.Store(a, ref y);
        row.Store(b, ref y, 8);
        row.Store(c, ref y, 16);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tile8(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Tile8Body(ref w, ref col, k, ldc, p, ref y, j, rows, in ep);
    }

    // Tile8's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8Body(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        // Two accumulators per channel (even and odd k) so 8 FMA chains are in flight instead of 4.
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int i = 0;
        for (; i <= k - 2; i += 2)
        {
            Vector256<float> x = Vector256.LoadUnsafe(ref col);
            Vector256<float> x2 = Vector256.LoadUnsafe(ref col, (nuint)ldc);
            a0 = Simd.MulAdd(Vector256.Create(w), x, a0);
            a1 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 1)), x, a1);
            a2 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 2)), x, a2);
            a3 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 3)), x, a3);
            b0 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 4)), x2, b0);
            b1 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 5)), x2, b1);
            b2 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 6)), x2, b2);
            b3 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 7)), x2, b3);
            w = ref Unsafe.Add(ref w, 2 * Mr);
            col = ref Unsafe.Add(ref col, 2 * ldc);
        }

        if (i < k)
        {
            Vector256<float> x = Vector256.LoadUnsafe(ref col);
            a0 = Simd.MulAdd(Vector256.Create(w), x, a0);
            a1 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 1)), x, a1);
            a2 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 2)), x, a2);
            a3 = Simd.MulAdd(Vector256.Create(Unsafe.Add(ref w, 3)), x, a3);
        }

        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;
        if (ep.HasResidual)
        {
            AddResidual1(ep, j, ref a0, ref y);

            if (rows > 1)
            {
                AddResidual1(ep, j + 1, ref a1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                AddResidual1(ep, j + 2, ref a2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                AddResidual1(ep, j + 3, ref a3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        ep.Store(j, a0, ref y);
        if (rows > 1)
        {
            ep.Store(j + 1, a1, ref y, (nuint)p);
        }

        if (rows > 2)
        {
            ep.Store(j + 2, a2, ref y, (nuint)(2 * p));
        }

        if (rows > 3)
        {
            ep.Store(j + 3, a3, ref y, (nuint)(3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Tile4(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Tile4Body(ref w, ref col, k, ldc, p, ref y, j, rows, in ep);
    }

    // Tile4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4Body(ref float w, ref float col, int k, int ldc, int p, ref float y, int j, int rows, in Epilogue ep)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = 0; i < k; i++)
        {
            Vector128<float> x = Vector128.LoadUnsafe(ref col);
            a0 = Simd.MulAdd(Vector128.Create(w), x, a0);
            a1 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref w, 1)), x, a1);
            a2 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref w, 2)), x, a2);
            a3 = Simd.MulAdd(Vector128.Create(Unsafe.Add(ref w, 3)), x, a3);
            w = ref Unsafe.Add(ref w, Mr);
            col = ref Unsafe.Add(ref col, ldc);
        }

        if (ep.HasResidual)
        {
            AddResidual1(ep, j, ref a0, ref y);

            if (rows > 1)
            {
                AddResidual1(ep, j + 1, ref a1, ref Unsafe.Add(ref y, p));
            }

            if (rows > 2)
            {
                AddResidual1(ep, j + 2, ref a2, ref Unsafe.Add(ref y, 2 * p));
            }

            if (rows > 3)
            {
                AddResidual1(ep, j + 3, ref a3, ref Unsafe.Add(ref y, 3 * p));
            }
        }

        ep.Store(j, a0, ref y);
        if (rows > 1)
        {
            ep.Store(j + 1, a1, ref y, (nuint)p);
        }

        if (rows > 2)
        {
            ep.Store(j + 2, a2, ref y, (nuint)(2 * p));
        }

        if (rows > 3)
        {
            ep.Store(j + 3, a3, ref y, (nuint)(3 * p));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddResidual1(in Epilogue ep, int j, ref Vector256<float> a, ref float y) => ep.AddResidual(j, ref a, ref y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddResidual1(in Epilogue ep, int j, ref Vector128<float> a, ref float y) => ep.AddResidual(j, ref a, ref y);
}
