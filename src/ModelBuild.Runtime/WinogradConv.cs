using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// 3×3 stride-1 convolutions (group 1, ≥ <see cref="MinChannels"/> channels in and out, output ≥ 8×8) by Winograd's
/// minimal filtering F(4×4, 3×3) (Lavin &amp; Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
/// each 4×4 output tile is <c>Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A</c> over 6×6 input tiles d_c, so the 36 element-wise
/// products become 36 independent GEMMs <c>M_ξ[oc, tile] = Σ_c U_ξ[oc, c]·V_ξ[c, tile]</c> with 36 multiplies per
/// 16 outputs where the direct conv needs 144: 4× fewer FLOPs in the GEMM, which runs on the packed conv tiles
/// (<see cref="ConvGemm.RunPacked"/>). ONNX Runtime's AVX-512 direct conv does twice the FLOPs per cycle of our AVX2
/// tiles, so only fewer FLOPs can match it on AVX2 machines (mnist_cnn_fc128's 32 → 64 conv on 14×14: 89 µs direct,
/// at ~85 % of the AVX2 FMA peak, against ORT's 37 µs).
/// <para>
/// Layout: the input of one image is copied once into zero-padded planes split by column phase (column mod 4),
/// <c>planes[c][r][φ][q]</c> = padded column 4q + φ of padded row r, so element m of 4 horizontally adjacent tiles is
/// one contiguous 4-float load; the transforms run on 4 tiles at once (one Vector128 lane per tile). Tile columns are
/// padded to a multiple of 4 (their outputs are dropped). Tile rows are processed in chunks whose V and M matrices
/// (36·(C + OC)·tiles floats) stay in L2.
/// </para>
/// <para>
/// Accuracy: the transforms have coefficients up to 8 (Aᵀ), 5 (Bᵀ) and 1/24 (G), so the rounding error is a small
/// multiple of the direct sum's (tested against the float64 reference with the same Σ|x·w|-relative tolerance).
/// Each image's tiles, chunks and GEMM shapes depend only on the conv's shape, so an image's outputs are the same
/// bits whatever the batch size or thread split.
/// </para>
/// </summary>
internal static class WinogradConv
{
    /// <summary>Fewer input or output channels leave the GEMM too short to pay for the transforms.</summary>
    public const int MinChannels = 16;

    /// <summary>Elements of a 6×6 transformed tile: the number of GEMMs.</summary>
    private const int Xi = 36;

    /// <summary>Target floats of one chunk's V and M matrices (512 KB: half of a 1 MB L2).</summary>
    private const int ChunkFloats = 1 << 17;

    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Whether <see cref="Run"/> handles <paramref name="s"/> at <paramref name="level"/> (not at the scalar level, which keeps the direct definition).</summary>
    public static bool Applies(SimdLevel level, in Conv2DShape s, WeightMatrix w) =>
        level != SimdLevel.Scalar && ShapeApplies(s) && (long)w.Rows * w.Cols * 4 <= Kernels.MaxPackedConvWeights;

    /// <summary>
    /// The transformed weights <c>U_ξ = (G g Gᵀ)_ξ</c> of every (oc, c) pair, computed in float64 and rounded once, as 36
    /// matrices in <see cref="ConvGemm.Pack"/>'s layout: <c>packed[ξ][oc / 4][c][oc mod 4]</c> (zero rows pad OC to a
    /// multiple of 4).
    /// </summary>
    /// <returns>36·⌈OC/4⌉·4·C zero-padded floats from <see cref="PackedWeightArena"/> (huge pages for large models).</returns>
    public static ArraySegment<float> Pack(WeightMatrix w)
    {
        int oc = w.Rows, c = w.Cols / 9, blocks = (oc + ConvGemm.Mr - 1) / ConvGemm.Mr, perXi = blocks * ConvGemm.Mr * c;
        WeightMatrix.RowReader rows = w.ReadRows(new float[w.Cols]);
        ReadOnlySpan<double> g = [0.25, 0, 0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 24.0, -1 / 12.0, 1 / 6.0, 0, 0, 1];
        ArraySegment<float> block = PackedWeightArena.Allocate(checked(Xi * perXi));
        Span<float> packed = block;
        Span<double> gk = stackalloc double[18];
        for (int o = 0; o < oc; o++)
        {
            ReadOnlySpan<float> row = rows[o];
            for (int ci = 0; ci < c; ci++)
            {
                ReadOnlySpan<float> k = row.Slice(ci * 9, 9);

                // gk = G·k (6×3), then U = gk·Gᵀ (6×6).
                for (int a = 0; a < 6; a++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        gk[(a * 3) + j] = (g[a * 3] * k[j]) + (g[(a * 3) + 1] * k[3 + j]) + (g[(a * 3) + 2] * k[6 + j]);
                    }
                }

                for (int a = 0; a < 6; a++)
                {
                    for (int b = 0; b < 6; b++)
                    {
                        double u = (gk[a * 3] * g[b * 3]) + (gk[(a * 3) + 1] * g[(b * 3) + 1]) + (gk[(a * 3) + 2] * g[(b * 3) + 2]);
                        packed[((a * 6) + b) * perXi + ((o / ConvGemm.Mr) * ConvGemm.Mr * c) + (ci * ConvGemm.Mr) + (o % ConvGemm.Mr)] = (float)u;
                    }
                }
            }
        }

        return block;
    }

    /// <summary>Whether <paramref name="s"/> has a shape <see cref="Run"/> takes (<see cref="Applies"/> without the weights' size limit).</summary>
    public static bool ShapeApplies(in Conv2DShape s) =>
        s.KH == 3 && s.KW == 3 && s.SH == 1 && s.SW == 1 && s.DH == 1 && s.DW == 1 && s.Group == 1
        && s.C >= MinChannels && s.OC >= MinChannels && s.OH >= 8 && s.OW >= 8;

    /// <summary>
    /// The scratch floats <see cref="Run"/> uses for <paramref name="s"/> at either vector width: one image's phase planes
    /// and one chunk's V and M matrices. Given as the caller's scratch (the operator's, cut from the activation arena and
    /// shared with every other layer's), the first prediction writes no memory of its own for them: ppocr_det's 96-channel
    /// 64 × 64 convs wrote 1.7 MB of fresh 4 KiB pages into a per-thread array (≈ 650 page faults).
    /// </summary>
    public static long Scratch(in Conv2DShape s) => Math.Max(Need(new Geometry(s, 8), s), Need(new Geometry(s, 4), s));

    private static long Need(in Geometry geo, in Conv2DShape s) => ((long)s.C * geo.Rows * 4 * geo.Q) + ((long)Xi * (s.C + s.OC) * geo.ChunkTiles) + (4 * geo.Q);

    /// <summary>
    /// <c>y = act(conv3×3(x) + bias)</c> for <paramref name="batch"/> images, each on its own (see the class summary), in
    /// <paramref name="scratch"/> when it holds <see cref="Scratch"/> floats (overwritten), else in a per-thread buffer.
    /// </summary>
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        // 8 tiles per vector when a row has at least 8 (OW ≥ 29), else 4 (less padding on narrow images).
        if (level == SimdLevel.Vector256 && s.OW >= 29)
        {
            Run<Vector256<float>, Vector256Width>(level, x, w, bias, y, scratch, s, batch, act);
        }
        else
        {
            Run<Vector128<float>, Vector128Width>(level, x, w, bias, y, scratch, s, batch, act);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Run<TV, TW>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        RunBody<TV, TW>(level, x, w, bias, y, scratch, in s, batch, act);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody<TV, TW>(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        var geo = new Geometry(s, TW.Count);
        int planeFloats = s.C * geo.Rows * 4 * geo.Q;
        int need = planeFloats + (Xi * (s.C + s.OC) * geo.ChunkTiles) + (4 * geo.Q);
        Span<float> buffer = scratch.Length >= need ? scratch[..need] : ThreadScratch.Get(ref t_buffer, need);
        Span<float> planes = buffer[..planeFloats];
        Span<float> v = buffer.Slice(planeFloats, Xi * s.C * geo.ChunkTiles);
        Span<float> m = buffer.Slice(planeFloats + v.Length, Xi * s.OC * geo.ChunkTiles);
        Span<float> padded = buffer.Slice(planeFloats + v.Length + m.Length, 4 * geo.Q);
        ref float u = ref MemoryMarshal.GetReference(w.PackedWinograd());
        int perXi = (s.OC + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * s.C;
        var none = new Epilogue(default, Activation.None);
        int hw = s.H * s.W, p = s.OH * s.OW;
        for (int n = 0; n < batch; n++)
        {
            Fill(x.Slice(n * s.C * hw, s.C * hw), planes, padded, s, geo);
            Span<float> yn = y.Slice(n * s.OC * p, s.OC * p);
            for (int th0 = 0; th0 < geo.TH; th0 += geo.ChunkRows)
            {
                int rows = Math.Min(geo.ChunkRows, geo.TH - th0), tiles = rows * geo.TWp;
                InputTransform<TV, TW>(planes, v, s.C, geo, th0, rows, tiles);
                for (int xi = 0; xi < Xi; xi++)
                {
                    ConvGemm.RunPacked(level, ref Unsafe.Add(ref u, (nint)xi * perXi), s.OC, ref v[xi * s.C * tiles], s.C, tiles,
                        ref m[xi * s.OC * tiles], 0, none);
                }

                OutputTransform<TV, TW>(m, yn, bias, act == Activation.Relu, s, geo, th0, rows, tiles);
            }
        }
    }

    /// <summary>
    /// The phase planes of one image: zero outside the input, else <c>x[c, r − PadTop, 4q + φ − PadLeft]</c>. Each padded
    /// row is built in a small buffer, then split by phase 16 floats at a time with a 4×4 transpose (row j of the 4
    /// loaded vectors holds columns 4(q + j) … 4(q + j) + 3, so the transpose's vector φ holds phase φ of q … q + 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Fill(ReadOnlySpan<float> xn, Span<float> planes, Span<float> padded, in Conv2DShape s, in Geometry geo)
    {
        FillBody(xn, planes, padded, in s, in geo);
    }

    // Fill's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillBody(ReadOnlySpan<float> xn, Span<float> planes, Span<float> padded, in Conv2DShape s, in Geometry geo)
    {
        int rowFloats = 4 * geo.Q, copy = Math.Min(s.W, rowFloats - s.PadLeft);
        padded = padded[..rowFloats];
        padded.Clear();
        ref float pr = ref MemoryMarshal.GetReference(padded);
        for (int c = 0; c < s.C; c++)
        {
            for (int r = 0; r < geo.Rows; r++)
            {
                ref float dst = ref planes[((c * geo.Rows) + r) * rowFloats];
                int ih = r - s.PadTop;
                if ((uint)ih >= (uint)s.H)
                {
                    Simd.Fill(MemoryMarshal.CreateSpan(ref dst, rowFloats), 0);
                    continue;
                }

                // The pads stay zero between rows: only columns PadLeft … PadLeft + copy − 1 are ever written.
                Simd.Copy(xn.Slice(((c * s.H) + ih) * s.W, copy), padded[s.PadLeft..]);
                for (int q = 0; q < geo.Q; q += 4)
                {
                    ref float at = ref Unsafe.Add(ref pr, 4 * q);
                    Vector128<float> a = Vector128.LoadUnsafe(ref at), b = Vector128.LoadUnsafe(ref at, 4);
                    Vector128<float> cc = Vector128.LoadUnsafe(ref at, 8), d = Vector128.LoadUnsafe(ref at, 12);
                    BlockedWinograd.Transpose4(ref a, ref b, ref cc, ref d);
                    a.StoreUnsafe(ref dst, (nuint)q);
                    b.StoreUnsafe(ref dst, (nuint)(geo.Q + q));
                    cc.StoreUnsafe(ref dst, (nuint)((2 * geo.Q) + q));
                    d.StoreUnsafe(ref dst, (nuint)((3 * geo.Q) + q));
                }
            }
        }
    }

    /// <summary>
    /// <c>V_ξ[c, tile] = (Bᵀ d B)_ξ</c> for the chunk's tiles, <c>TW.Count</c> adjacent tiles per vector: rows first into
    /// a 6×6 buffer of vectors, then its rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void InputTransform<TV, TW>(ReadOnlySpan<float> planes, Span<float> v, int channels, in Geometry geo, int th0, int rows, int tiles)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        Span<float> t = stackalloc float[Xi * 8];
        InputTransformBody<TV, TW>(planes, v, channels, in geo, th0, rows, tiles, t);
    }

    // InputTransform's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransformBody<TV, TW>(ReadOnlySpan<float> planes, Span<float> v, int channels, in Geometry geo, int th0, int rows, int tiles, Span<float> t)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count;
        ref float tb = ref MemoryMarshal.GetReference(t);
        ref float pl = ref MemoryMarshal.GetReference(planes);
        ref float vr = ref MemoryMarshal.GetReference(v);
        int rowFloats = 4 * geo.Q;
        nint xiStride = (nint)channels * tiles;
        for (int c = 0; c < channels; c++)
        {
            for (int th = th0; th < th0 + rows; th++)
            {
                ref float top = ref Unsafe.Add(ref pl, (((nint)c * geo.Rows) + (4 * th)) * rowFloats);
                ref float dst = ref Unsafe.Add(ref vr, ((nint)c * tiles) + ((th - th0) * geo.TWp));
                for (int tw = 0; tw < geo.TWp; tw += lanes)
                {
                    // Column col of the 6×6 tiles is one contiguous load per row (phase col mod 4, shifted by col div 4).
                    for (int col = 0; col < 6; col++)
                    {
                        WinogradF4.BT<TV, TW>(ref Unsafe.Add(ref top, ((col & 3) * geo.Q) + tw + (col >> 2)), rowFloats, ref Unsafe.Add(ref tb, col * lanes), 6 * lanes);
                    }

                    for (int a = 0; a < 6; a++)
                    {
                        WinogradF4.BT<TV, TW>(ref Unsafe.Add(ref tb, a * 6 * lanes), lanes, ref Unsafe.Add(ref dst, (a * 6 * xiStride) + tw), xiStride);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>y[oc, 4th + i, 4tw + j] = act((Aᵀ M A)[i, j] + bias[oc])</c> for the chunk's tiles inside the output,
    /// <c>TW.Count</c> adjacent tiles per vector; a 4×4 transpose (per 128-bit half) turns the 4 vectors of output row i
    /// into consecutive outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void OutputTransform<TV, TW>(ReadOnlySpan<float> m, Span<float> y, ReadOnlySpan<float> bias, bool relu, in Conv2DShape s, in Geometry geo, int th0, int rows, int tiles)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        Span<float> t = stackalloc float[24 * 8];
        Span<float> o = stackalloc float[16 * 8];
        OutputTransformBody<TV, TW>(m, y, bias, relu, in s, in geo, th0, rows, tiles, t, o);
    }

    // OutputTransform's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransformBody<TV, TW>(ReadOnlySpan<float> m, Span<float> y, ReadOnlySpan<float> bias, bool relu, in Conv2DShape s, in Geometry geo, int th0, int rows, int tiles, Span<float> t, Span<float> o)
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count;
        ref float tb = ref MemoryMarshal.GetReference(t);
        ref float ob = ref MemoryMarshal.GetReference(o);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float yr = ref MemoryMarshal.GetReference(y);
        nint xiStride = (nint)s.OC * tiles;
        int p = s.OH * s.OW;
        for (int oc = 0; oc < s.OC; oc++)
        {
            var b = Vector128.Create(bias.IsEmpty ? 0 : bias[oc]);
            for (int th = th0; th < th0 + rows; th++)
            {
                int validRows = Math.Min(4, s.OH - (4 * th));
                ref float src = ref Unsafe.Add(ref mr, ((nint)oc * tiles) + ((th - th0) * geo.TWp));
                for (int tw = 0; tw < geo.TWp; tw += lanes)
                {
                    for (int col = 0; col < 6; col++)
                    {
                        WinogradF4.AT<TV, TW>(ref Unsafe.Add(ref src, (col * xiStride) + tw), 6 * xiStride, ref Unsafe.Add(ref tb, col * lanes), 6 * lanes);
                    }

                    int ow0 = 4 * tw, validCols = Math.Min(4 * lanes, s.OW - ow0);
                    for (int i = 0; i < validRows; i++)
                    {
                        ref float oi = ref Unsafe.Add(ref ob, i * 4 * lanes);
                        WinogradF4.AT<TV, TW>(ref Unsafe.Add(ref tb, i * 6 * lanes), lanes, ref oi, lanes);
                        ref float dst = ref Unsafe.Add(ref yr, ((nint)oc * p) + (((4 * th) + i) * s.OW) + ow0);
                        StoreRow(ref oi, lanes, b, relu, ref dst, validCols);
                    }
                }
            }
        }
    }

    // Bᵀ and Aᵀ are F(4×4, 3×3)'s, shared with BlockedWinograd (WinogradF4.BT / AT).

    /// <summary>
    /// Writes one output row of <paramref name="lanes"/> tiles: <c>o[j·lanes + l]</c> is column 4l + j, so each group of 4
    /// tiles is a 4×4 transpose away from 16 consecutive outputs, stored as <c>act(value + bias)</c>; only the first
    /// <paramref name="valid"/> are stored.
    /// </summary>
    /// <remarks>The bias is passed by reference: a by-value vector parameter keeps ReadyToRun from precompiling the method.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreRow(ref float o, int lanes, in Vector128<float> bias, bool relu, ref float dst, int valid)
    {
        Span<float> edge = stackalloc float[32];
        StoreRowBody(ref o, lanes, in bias, relu, ref dst, valid, edge);
    }

    // StoreRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowBody(ref float o, int lanes, in Vector128<float> bias, bool relu, ref float dst, int valid, Span<float> edge)
    {
        ref float e = ref MemoryMarshal.GetReference(edge);
        bool whole = valid == 4 * lanes;
        for (int half = 0; half < lanes; half += 4)
        {
            Vector128<float> j0 = Vector128.LoadUnsafe(ref o, (nuint)half), j1 = Vector128.LoadUnsafe(ref o, (nuint)(lanes + half));
            Vector128<float> j2 = Vector128.LoadUnsafe(ref o, (nuint)((2 * lanes) + half)), j3 = Vector128.LoadUnsafe(ref o, (nuint)((3 * lanes) + half));
            BlockedWinograd.Transpose4(ref j0, ref j1, ref j2, ref j3);
            j0 += bias;
            j1 += bias;
            j2 += bias;
            j3 += bias;
            if (relu)
            {
                j0 = Simd.Relu(j0);
                j1 = Simd.Relu(j1);
                j2 = Simd.Relu(j2);
                j3 = Simd.Relu(j3);
            }

            ref float to = ref whole ? ref Unsafe.Add(ref dst, 4 * half) : ref Unsafe.Add(ref e, 4 * half);
            j0.StoreUnsafe(ref to);
            j1.StoreUnsafe(ref to, 4);
            j2.StoreUnsafe(ref to, 8);
            j3.StoreUnsafe(ref to, 12);
        }

        if (!whole)
        {
            edge[..valid].CopyTo(MemoryMarshal.CreateSpan(ref dst, valid));
        }
    }

    /// <summary>Tiles and chunks of one image.</summary>
    internal readonly struct Geometry
    {
        public Geometry(in Conv2DShape s, int lanes)
        {
            TH = (s.OH + 3) / 4;
            TWp = ((s.OW + 3) / 4 + lanes - 1) / lanes * lanes;
            Rows = (4 * TH) + 2;
            Q = TWp + 4;
            ChunkRows = Math.Clamp(ChunkFloats / (Xi * (s.C + s.OC) * TWp), 1, TH);
            ChunkTiles = ChunkRows * TWp;
        }

        /// <summary>Tile rows.</summary>
        public int TH { get; }

        /// <summary>Tile columns, padded to a multiple of the tiles per vector (4 or 8).</summary>
        public int TWp { get; }

        /// <summary>Padded input rows the tiles read.</summary>
        public int Rows { get; }

        /// <summary>Floats per column phase of a padded row: the tiles read phase columns up to TWp, and <see cref="Fill"/> writes 4 at a time.</summary>
        public int Q { get; }

        /// <summary>Tile rows per chunk.</summary>
        public int ChunkRows { get; }

        /// <summary>Tiles per full chunk.</summary>
        public int ChunkTiles { get; }
    }
}
