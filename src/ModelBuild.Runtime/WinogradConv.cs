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
        level != SimdLevel.Scalar && s.KH == 3 && s.KW == 3 && s.SH == 1 && s.SW == 1 && s.DH == 1 && s.DW == 1 && s.Group == 1
        && s.C >= MinChannels && s.OC >= MinChannels && s.OH >= 8 && s.OW >= 8
        && (long)w.Rows * w.Cols * 4 <= Kernels.MaxPackedConvWeights;

    /// <summary>
    /// The transformed weights <c>U_ξ = (G g Gᵀ)_ξ</c> of every (oc, c) pair, computed in float64 and rounded once, as 36
    /// matrices in <see cref="ConvGemm.Pack"/>'s layout: <c>packed[ξ][oc / 4][c][oc mod 4]</c> (zero rows pad OC to a
    /// multiple of 4).
    /// </summary>
    public static float[] Pack(WeightMatrix w)
    {
        int oc = w.Rows, c = w.Cols / 9, blocks = (oc + ConvGemm.Mr - 1) / ConvGemm.Mr, perXi = blocks * ConvGemm.Mr * c;
        ReadOnlySpan<float> dense = w.Format == WeightFormat.Float32 ? w.Floats : w.Dequantize();
        ReadOnlySpan<double> g = [0.25, 0, 0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 24.0, -1 / 12.0, 1 / 6.0, 0, 0, 1];
        var packed = new float[(long)Xi * perXi];
        Span<double> gk = stackalloc double[18];
        for (int o = 0; o < oc; o++)
        {
            for (int ci = 0; ci < c; ci++)
            {
                ReadOnlySpan<float> k = dense.Slice((o * w.Cols) + (ci * 9), 9);

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

        return packed;
    }

    /// <summary><c>y = act(conv3×3(x) + bias)</c> for <paramref name="batch"/> images, each on its own (see the class summary).</summary>
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act)
    {
        var geo = new Geometry(s);
        int planeFloats = s.C * geo.Rows * 4 * geo.Q;
        int need = planeFloats + (Xi * (s.C + s.OC) * geo.ChunkTiles);
        float[] buffer = t_buffer is { } b && b.Length >= need ? b : (t_buffer = new float[need]);
        Span<float> planes = buffer.AsSpan(0, planeFloats);
        Span<float> v = buffer.AsSpan(planeFloats, Xi * s.C * geo.ChunkTiles);
        Span<float> m = buffer.AsSpan(planeFloats + v.Length, Xi * s.OC * geo.ChunkTiles);
        ref float u = ref MemoryMarshal.GetArrayDataReference(w.PackedWinograd());
        int perXi = (s.OC + ConvGemm.Mr - 1) / ConvGemm.Mr * ConvGemm.Mr * s.C;
        var none = new Epilogue(default, Activation.None);
        int hw = s.H * s.W, p = s.OH * s.OW;
        for (int n = 0; n < batch; n++)
        {
            Fill(level, x.Slice(n * s.C * hw, s.C * hw), planes, s, geo);
            Span<float> yn = y.Slice(n * s.OC * p, s.OC * p);
            for (int th0 = 0; th0 < geo.TH; th0 += geo.ChunkRows)
            {
                int rows = Math.Min(geo.ChunkRows, geo.TH - th0), tiles = rows * geo.TWp;
                InputTransform(planes, v, s.C, geo, th0, rows, tiles);
                for (int xi = 0; xi < Xi; xi++)
                {
                    ConvGemm.RunPacked(level, ref Unsafe.Add(ref u, (nint)xi * perXi), s.OC, ref v[xi * s.C * tiles], s.C, tiles,
                        ref m[xi * s.OC * tiles], 0, none);
                }

                OutputTransform(m, yn, bias, act == Activation.Relu, s, geo, th0, rows, tiles);
            }
        }
    }

    /// <summary>The phase planes of one image: zero outside the input, else <c>x[c, r − PadTop, 4q + φ − PadLeft]</c>.</summary>
    private static void Fill(SimdLevel level, ReadOnlySpan<float> xn, Span<float> planes, in Conv2DShape s, in Geometry geo)
    {
        int rowFloats = 4 * geo.Q;
        for (int c = 0; c < s.C; c++)
        {
            for (int r = 0; r < geo.Rows; r++)
            {
                Span<float> dst = planes.Slice(((c * geo.Rows) + r) * rowFloats, rowFloats);
                int ih = r - s.PadTop;
                if ((uint)ih >= (uint)s.H)
                {
                    dst.Clear();
                    continue;
                }

                ref float src = ref Unsafe.AsRef(in xn[((c * s.H) + ih) * s.W]);
                for (int phase = 0; phase < 4; phase++)
                {
                    Span<float> d = dst.Slice(phase * geo.Q, geo.Q);

                    // q with an input column iw = 4q + phase − PadLeft inside [0, W).
                    int first = phase - s.PadLeft;
                    int qLo = Math.Clamp(Kernels.CeilDiv(-first, 4), 0, geo.Q);
                    int qHi = Math.Clamp(Kernels.CeilDiv(s.W - first, 4), qLo, geo.Q);
                    d[..qLo].Clear();
                    d[qHi..].Clear();
                    if (qHi > qLo)
                    {
                        Im2Col.Gather(level, ref Unsafe.Add(ref src, (qLo * 4) + first), 4, ref d[qLo], qHi - qLo);
                    }
                }
            }
        }
    }

    /// <summary><c>V_ξ[c, tile] = (Bᵀ d B)_ξ</c> for the chunk's tiles, 4 adjacent tiles per vector.</summary>
    private static void InputTransform(ReadOnlySpan<float> planes, Span<float> v, int channels, in Geometry geo, int th0, int rows, int tiles)
    {
        Span<Vector128<float>> t = stackalloc Vector128<float>[Xi];
        ref float pl = ref MemoryMarshal.GetReference(planes);
        ref float vr = ref MemoryMarshal.GetReference(v);
        int rowFloats = 4 * geo.Q, xiStride = channels * tiles;
        for (int c = 0; c < channels; c++)
        {
            for (int th = th0; th < th0 + rows; th++)
            {
                ref float top = ref Unsafe.Add(ref pl, (((nint)c * geo.Rows) + (4 * th)) * rowFloats);
                for (int tw = 0; tw < geo.TWp; tw += 4)
                {
                    // Rows first: t[a][col] = (Bᵀ d)[a][col], column col of the 6×6 tile being a contiguous load per phase.
                    for (int col = 0; col < 6; col++)
                    {
                        ref float at = ref Unsafe.Add(ref top, ((col & 3) * geo.Q) + tw + (col >> 2));
                        BT(Vector128.LoadUnsafe(ref at), Vector128.LoadUnsafe(ref at, (nuint)rowFloats), Vector128.LoadUnsafe(ref at, (nuint)(2 * rowFloats)),
                            Vector128.LoadUnsafe(ref at, (nuint)(3 * rowFloats)), Vector128.LoadUnsafe(ref at, (nuint)(4 * rowFloats)), Vector128.LoadUnsafe(ref at, (nuint)(5 * rowFloats)),
                            out t[col], out t[6 + col], out t[12 + col], out t[18 + col], out t[24 + col], out t[30 + col]);
                    }

                    // Then columns: V[a·6 + b] = (t Bᵀ... ) row a of t transformed.
                    ref float dst = ref Unsafe.Add(ref vr, ((nint)c * tiles) + ((th - th0) * geo.TWp) + tw);
                    for (int a = 0; a < 6; a++)
                    {
                        BT(t[a * 6], t[(a * 6) + 1], t[(a * 6) + 2], t[(a * 6) + 3], t[(a * 6) + 4], t[(a * 6) + 5],
                            out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                        ref float row = ref Unsafe.Add(ref dst, (nint)a * 6 * xiStride);
                        o0.StoreUnsafe(ref row);
                        o1.StoreUnsafe(ref row, (nuint)xiStride);
                        o2.StoreUnsafe(ref row, (nuint)(2 * xiStride));
                        o3.StoreUnsafe(ref row, (nuint)(3 * xiStride));
                        o4.StoreUnsafe(ref row, (nuint)(4 * xiStride));
                        o5.StoreUnsafe(ref row, (nuint)(5 * xiStride));
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>y[oc, 4th + i, 4tw + j] = act((Aᵀ M A)[i, j] + bias[oc])</c> for the chunk's tiles inside the output, 4 adjacent
    /// tiles per vector; a 4×4 transpose turns the 4 vectors of output row i into 16 consecutive outputs.
    /// </summary>
    private static void OutputTransform(ReadOnlySpan<float> m, Span<float> y, ReadOnlySpan<float> bias, bool relu, in Conv2DShape s, in Geometry geo, int th0, int rows, int tiles)
    {
        Span<Vector128<float>> t = stackalloc Vector128<float>[24];
        Span<float> edge = stackalloc float[16];
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int xiStride = s.OC * tiles, p = s.OH * s.OW;
        for (int oc = 0; oc < s.OC; oc++)
        {
            var b = Vector128.Create(bias.IsEmpty ? 0 : bias[oc]);
            for (int th = th0; th < th0 + rows; th++)
            {
                int validRows = Math.Min(4, s.OH - (4 * th));
                for (int tw = 0; tw < geo.TWp; tw += 4)
                {
                    ref float src = ref Unsafe.Add(ref mr, ((nint)oc * tiles) + ((th - th0) * geo.TWp) + tw);

                    // Columns first: t[i][b] = (Aᵀ M)[i][b] over the 6 rows a of column b.
                    for (int col = 0; col < 6; col++)
                    {
                        ref float at = ref Unsafe.Add(ref src, (nint)col * xiStride);
                        AT(Vector128.LoadUnsafe(ref at), Vector128.LoadUnsafe(ref at, (nuint)(6 * xiStride)), Vector128.LoadUnsafe(ref at, (nuint)(12 * xiStride)),
                            Vector128.LoadUnsafe(ref at, (nuint)(18 * xiStride)), Vector128.LoadUnsafe(ref at, (nuint)(24 * xiStride)), Vector128.LoadUnsafe(ref at, (nuint)(30 * xiStride)),
                            out t[col], out t[6 + col], out t[12 + col], out t[18 + col]);
                    }

                    int ow0 = 4 * tw, validCols = Math.Min(16, s.OW - ow0);
                    for (int i = 0; i < validRows; i++)
                    {
                        AT(t[i * 6], t[(i * 6) + 1], t[(i * 6) + 2], t[(i * 6) + 3], t[(i * 6) + 4], t[(i * 6) + 5], out var j0, out var j1, out var j2, out var j3);
                        j0 += b;
                        j1 += b;
                        j2 += b;
                        j3 += b;
                        if (relu)
                        {
                            j0 = Vector128.Max(j0, Vector128<float>.Zero);
                            j1 = Vector128.Max(j1, Vector128<float>.Zero);
                            j2 = Vector128.Max(j2, Vector128<float>.Zero);
                            j3 = Vector128.Max(j3, Vector128<float>.Zero);
                        }

                        // Lane l of j_k is output column 4(tw + l) + k: transposed, vector l is tile tw + l's 4 columns.
                        Transpose(ref j0, ref j1, ref j2, ref j3);
                        ref float dst = ref Unsafe.Add(ref yr, ((nint)oc * p) + (((4 * th) + i) * s.OW) + ow0);
                        if (validCols == 16)
                        {
                            j0.StoreUnsafe(ref dst);
                            j1.StoreUnsafe(ref dst, 4);
                            j2.StoreUnsafe(ref dst, 8);
                            j3.StoreUnsafe(ref dst, 12);
                        }
                        else if (validCols > 0)
                        {
                            ref float e = ref MemoryMarshal.GetReference(edge);
                            j0.StoreUnsafe(ref e);
                            j1.StoreUnsafe(ref e, 4);
                            j2.StoreUnsafe(ref e, 8);
                            j3.StoreUnsafe(ref e, 12);
                            edge[..validCols].CopyTo(MemoryMarshal.CreateSpan(ref dst, validCols));
                        }
                    }
                }
            }
        }
    }

    /// <summary>Bᵀ (F(4, 3)) applied to z0…z5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BT(Vector128<float> z0, Vector128<float> z1, Vector128<float> z2, Vector128<float> z3, Vector128<float> z4, Vector128<float> z5,
        out Vector128<float> o0, out Vector128<float> o1, out Vector128<float> o2, out Vector128<float> o3, out Vector128<float> o4, out Vector128<float> o5)
    {
        var four = Vector128.Create(4f);
        var five = Vector128.Create(5f);
        var two = Vector128.Create(2f);
        Vector128<float> z4MinusZ2 = z4 - z2;
        Vector128<float> z3MinusZ1 = z3 - z1;
        o0 = (four * z0) - (five * z2) + z4;
        o1 = z4 + z3 - (four * (z1 + z2));
        o2 = z4 - z3 + (four * (z1 - z2));
        o3 = z4MinusZ2 + (two * z3MinusZ1);
        o4 = z4MinusZ2 - (two * z3MinusZ1);
        o5 = (four * z1) - (five * z3) + z5;
    }

    /// <summary>Aᵀ (F(4, 3)) applied to z0…z5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AT(Vector128<float> z0, Vector128<float> z1, Vector128<float> z2, Vector128<float> z3, Vector128<float> z4, Vector128<float> z5,
        out Vector128<float> o0, out Vector128<float> o1, out Vector128<float> o2, out Vector128<float> o3)
    {
        Vector128<float> s12 = z1 + z2, d12 = z1 - z2, s34 = z3 + z4, d34 = z3 - z4;
        o0 = z0 + s12 + s34;
        o1 = d12 + (Vector128.Create(2f) * d34);
        o2 = s12 + (Vector128.Create(4f) * s34);
        o3 = d12 + (Vector128.Create(8f) * d34) + z5;
    }

    /// <summary>Transposes the 4×4 matrix whose rows are r0…r3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector128<float> r0, ref Vector128<float> r1, ref Vector128<float> r2, ref Vector128<float> r3)
    {
        if (Sse.IsSupported)
        {
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackLow(r2, r3), t2 = Sse.UnpackHigh(r0, r1), t3 = Sse.UnpackHigh(r2, r3);
            r0 = Sse.MoveLowToHigh(t0, t1);
            r1 = Sse.MoveHighToLow(t1, t0);
            r2 = Sse.MoveLowToHigh(t2, t3);
            r3 = Sse.MoveHighToLow(t3, t2);
            return;
        }

        Vector128<float> a = r0, b = r1, c = r2, d = r3;
        r0 = Vector128.Create(a[0], b[0], c[0], d[0]);
        r1 = Vector128.Create(a[1], b[1], c[1], d[1]);
        r2 = Vector128.Create(a[2], b[2], c[2], d[2]);
        r3 = Vector128.Create(a[3], b[3], c[3], d[3]);
    }

    /// <summary>Tiles and chunks of one image.</summary>
    private readonly struct Geometry
    {
        public Geometry(in Conv2DShape s)
        {
            TH = (s.OH + 3) / 4;
            TWp = ((s.OW + 3) / 4 + 3) / 4 * 4;
            Rows = (4 * TH) + 2;
            Q = TWp + 1;
            ChunkRows = Math.Clamp(ChunkFloats / (Xi * (s.C + s.OC) * TWp), 1, TH);
            ChunkTiles = ChunkRows * TWp;
        }

        /// <summary>Tile rows.</summary>
        public int TH { get; }

        /// <summary>Tile columns, padded to a multiple of 4.</summary>
        public int TWp { get; }

        /// <summary>Padded input rows the tiles read.</summary>
        public int Rows { get; }

        /// <summary>Floats per column phase of a padded row (the tiles read phase columns up to TWp).</summary>
        public int Q { get; }

        /// <summary>Tile rows per chunk.</summary>
        public int ChunkRows { get; }

        /// <summary>Tiles per full chunk.</summary>
        public int ChunkTiles { get; }
    }
}
