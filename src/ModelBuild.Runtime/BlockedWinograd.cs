using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// 3×3 stride-1 convolutions on small images (output width ≤ <see cref="MaxWidth"/>, group 1, ≥ 16 channels in and
/// out) by Winograd's F(m×m, 3×3) (<see cref="IWinogradTile"/>) with every transform vectorised across channels rather
/// than tiles, so a 7×7 or 14×14 image (2 or 4 tiles per row) still fills whole vectors; <see cref="WinogradConv"/>,
/// which vectorises across the tiles of a row, keeps wider images.
/// <para>
/// Steps per chunk of tiles: the input is staged channel-blocked and zero-padded (<c>[C/L][row][col][L]</c>, L = 8 on
/// AVX2, 4 on 128-bit vectors, by L×L register transposes); each tile's α×α window per channel block becomes
/// <c>V_ξ[tile, c]</c> (Bᵀ d B, whole-vector maths); α² GEMMs <c>M_ξ[tile, oc] = Σ_c V_ξ[tile, c]·U_ξ[c, oc]</c> run
/// on a 6-tile × 2-vector register tile (512-bit vectors on AVX-512 hardware, <see cref="GemmPanel"/>) over the transformed weights U (made once per process in float64,
/// <see cref="WeightMatrix.PackedBlockedWinograd"/>); the output transform (Aᵀ M A) works on L output channels per
/// vector, adds the bias, applies ReLU and goes back to NCHW through L×L transposes. A chunk is several whole images
/// when their V and M fit <see cref="ChunkFloats"/>, else tile rows of one image.
/// </para>
/// <para>
/// Bits: every output is the same chain of operations whatever the chunk (a GEMM element is one FMA chain over the
/// input channels in order; transforms are per tile), so an image gives the same bits alone, in any batch and on any
/// thread split. Accuracy: the transforms' coefficients (≤ 8 for F(4×4)) make the rounding a small multiple of the
/// direct sum's (tests: float64 reference, Σ|x·w|-relative tolerance).
/// </para>
/// </summary>
internal static partial class BlockedWinograd
{
    /// <summary>Widest output this path takes; wider images have enough tiles per row for <see cref="WinogradConv"/>.</summary>
    public const int MaxWidth = 16;

    /// <summary>Switches the path off (benchmarks' A/B against <see cref="WinogradConv"/> and the direct path).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Forces F(2×2) (2) or F(4×4) (4) for measurements; 0 = the rule of <see cref="TileSize"/>.</summary>
    internal static int ForcedTile { get; set; }

    /// <summary>Target floats of one chunk's V and M (1 MB); settable for measurements.</summary>
    internal static int ChunkFloats { get; set; } = 1 << 18;

    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Whether this path handles <paramref name="s"/> at <paramref name="level"/> (not at the scalar level, which keeps the direct definition).</summary>
    public static bool Applies(SimdLevel level, in Conv2DShape s, WeightMatrix w) =>
        Enabled && level != SimdLevel.Scalar && s.KH == 3 && s.KW == 3 && s.SH == 1 && s.SW == 1 && s.DH == 1 && s.DW == 1 && s.Group == 1
        && s.C >= WinogradConv.MinChannels && s.OC >= WinogradConv.MinChannels && s.OH >= 4 && s.OW >= 4 && s.OW <= MaxWidth
        && (long)w.Rows * w.Cols * 4 <= Kernels.MaxPackedConvWeights;

    /// <summary>The output tile side m for <paramref name="s"/>: 4 (F(4×4, 3×3)), or 2 for F(2×2, 3×3).</summary>
    public static int TileSize(in Conv2DShape s) => ForcedTile != 0 ? ForcedTile : 4;

    /// <summary><c>y = act(conv3×3(x) + bias)</c> for <paramref name="batch"/> images (see the class summary).</summary>
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act)
        => Run(level, x, w, bias, y, s, batch, act, TileSize(s));

    /// <summary>
    /// As <see cref="Run(SimdLevel, ReadOnlySpan{float}, WeightMatrix, ReadOnlySpan{float}, Span{float}, in Conv2DShape, int, Activation)"/>
    /// with output images <paramref name="yImage"/> floats apart (at least OC·OH·OW): a conv writing its channels of a
    /// larger tensor (<c>ConvOp.ConcatChannels</c>); the floats between images are left as they are.
    /// </summary>
    internal static void RunInto(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int yImage, in Conv2DShape s, int batch, Activation act)
        => Run(level, x, w, bias, y, s, batch, act, TileSize(s), yImage);

    /// <summary>As <see cref="RunInto"/> with the output tile side <paramref name="tile"/> (2 or 4) given (tests run both); <paramref name="yImage"/> 0 = OC·OH·OW.</summary>
    internal static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act, int tile, int yImage = 0)
    {
        bool f2 = tile == 2;
        yImage = yImage == 0 ? s.OC * s.OH * s.OW : yImage;
        Check.AtLeast(y.Length, ((long)(batch - 1) * yImage) + ((long)s.OC * s.OH * s.OW), nameof(y), "(batch − 1) × yImage + OC × OH × OW");
        if (level == SimdLevel.Vector256)
        {
            if (f2)
            {
                Run<WinogradF2, Vector256<float>, Vector256Width>(x, w, bias, y, s, batch, act, yImage);
            }
            else
            {
                Run<WinogradF4, Vector256<float>, Vector256Width>(x, w, bias, y, s, batch, act, yImage);
            }
        }
        else if (f2)
        {
            Run<WinogradF2, Vector128<float>, Vector128Width>(x, w, bias, y, s, batch, act, yImage);
        }
        else
        {
            Run<WinogradF4, Vector128<float>, Vector128Width>(x, w, bias, y, s, batch, act, yImage);
        }
    }

    private static void Run<TF, TV, TW>(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, int batch, Activation act, int yImage)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int lanes = TW.Count, xi = TF.Alpha * TF.Alpha;
        var plan = new Plan(s, TF.M, xi, lanes, batch, GemmPanel<TV, TW>(s));
        int stageFloats = WholeLines(plan.Images * plan.StageFloats), vFloats = xi * XiStride(plan.ChunkTiles, plan.Cp), mFloats = xi * XiStride(plan.ChunkTiles, plan.OCp);
        int need = stageFloats + vFloats + mFloats + (plan.OutBlocks * lanes);
        Span<float> buffer = ThreadScratch.Get(ref t_buffer, need);
        Span<float> stage = buffer[..(plan.Images * plan.StageFloats)];
        Span<float> v = buffer.Slice(stageFloats, vFloats);
        Span<float> m = buffer.Slice(stageFloats + vFloats, mFloats);
        Span<float> paddedBias = buffer.Slice(stageFloats + vFloats + mFloats, plan.OutBlocks * lanes);
        paddedBias.Clear();
        bias.CopyTo(paddedBias);
        ref float u = ref MemoryMarshal.GetReference(w.PackedBlockedWinograd(TF.M, plan.Panel));
        for (int n0 = 0; n0 < batch; n0 += plan.Images)
        {
            RunImages<TF, TV, TW>(x, y, yImage, s, plan, n0, Math.Min(plan.Images, batch - n0), stage, v, m, paddedBias, ref u, act);
        }
    }

    /// <summary>The chunks of <paramref name="images"/> images from <paramref name="n0"/>.</summary>
    private static void RunImages<TF, TV, TW>(ReadOnlySpan<float> x, Span<float> y, int yImage, in Conv2DShape s, in Plan plan, int n0, int images, Span<float> stage, Span<float> v, Span<float> m,
        ReadOnlySpan<float> paddedBias, ref float u, Activation act)
        where TF : struct, IWinogradTile
        where TV : struct
        where TW : struct, IVectorWidth<TV>
    {
        int xi = TF.Alpha * TF.Alpha, perXi = plan.OCp * s.C, hw = s.H * s.W, p = s.OH * s.OW;
        for (int i = 0; i < images; i++)
        {
            Stage<TV, TW>(x.Slice((n0 + i) * s.C * hw, s.C * hw), stage.Slice(i * plan.StageFloats, plan.StageFloats), s, plan);
        }

        Span<float> yn = y.Slice(n0 * yImage, ((images - 1) * yImage) + (s.OC * p));
        for (int th0 = 0; th0 < plan.TH; th0 += plan.Rows)
        {
            int rows = Math.Min(plan.Rows, plan.TH - th0), tiles = images * rows * plan.TWc;
            InputTransform<TF, TV, TW>(stage, v, plan, images, th0, rows, tiles);
            for (int k = 0; k < xi; k++)
            {
                PanelGemm<TV, TW>(plan.Panel, ref v[k * XiStride(tiles, plan.Cp)], tiles, plan.Cp, s.C, ref Unsafe.Add(ref u, (nint)k * perXi), plan.OCp, ref m[k * XiStride(tiles, plan.OCp)], 0, plan.OCp);
            }

            OutputTransform<TF, TV, TW>(m, yn, yImage, paddedBias, act == Activation.Relu, s, plan, images, th0, rows, tiles, 0, plan.OutBlocks);
        }
    }

    /// <summary>
    /// Floats from one ξ's matrix (V or M) to the next: the matrix plus one cache line, because the transforms touch all α²
    /// matrices of a tile and matrices a multiple of 4 KB long (16 tiles × 64 channels) put all of them in one L1 set,
    /// which holds 12 lines (the output transform of mnist_cnn_fc128's conv2 ran at L2 speed).
    /// </summary>
    private static int XiStride(int tiles, int rowFloats) => (tiles * rowFloats) + 16;

    /// <summary><paramref name="floats"/> rounded up to whole 64-byte lines (16 floats).</summary>
    private static int WholeLines(int floats) => (floats + 15) & ~15;

    /// <summary>Sizes of one call: channel blocks, padded tile grid, staged image and chunk.</summary>
    private readonly struct Plan
    {
        public Plan(in Conv2DShape s, int m, int xi, int lanes, int batch, int panel)
        {
            Blocks = (s.C + lanes - 1) / lanes;
            Cp = Blocks * lanes;
            Panel = panel;
            OCp = (s.OC + panel - 1) / panel * panel;
            OutBlocks = (s.OC + lanes - 1) / lanes;
            TH = (s.OH + m - 1) / m;
            TWc = (s.OW + m - 1) / m;
            Hp = (TH * m) + 2;
            Wp = (TWc * m) + 2;
            StageFloats = Blocks * Hp * Wp * lanes;
            int rowsFit = Math.Max(1, ChunkFloats / (xi * (Cp + OCp) * TWc));
            Rows = Math.Min(rowsFit, TH);
            Images = rowsFit >= TH ? Math.Clamp(rowsFit / TH, 1, batch) : 1;
            ChunkTiles = Images * Rows * TWc;
        }

        /// <summary>Input channel blocks of L; Cp = Blocks·L (V's row stride).</summary>
        public int Blocks { get; }

        public int Cp { get; }

        /// <summary>Output channels per GEMM panel: 2L, or 32 where the 512-bit GEMM runs (<see cref="GemmPanel"/>).</summary>
        public int Panel { get; }

        /// <summary>Output channels padded to a multiple of the GEMM panel: M's row stride.</summary>
        public int OCp { get; }

        /// <summary>Output channel blocks of L.</summary>
        public int OutBlocks { get; }

        /// <summary>Tile rows and columns of one image.</summary>
        public int TH { get; }

        public int TWc { get; }

        /// <summary>Staged rows and columns (tile grid + 2).</summary>
        public int Hp { get; }

        public int Wp { get; }

        /// <summary>Floats of one staged image.</summary>
        public int StageFloats { get; }

        /// <summary>Tile rows per chunk (all of them when a chunk holds whole images).</summary>
        public int Rows { get; }

        /// <summary>Whole images per chunk (1 when a chunk is part of an image).</summary>
        public int Images { get; }

        /// <summary>Tiles of a full chunk.</summary>
        public int ChunkTiles { get; }
    }
}
