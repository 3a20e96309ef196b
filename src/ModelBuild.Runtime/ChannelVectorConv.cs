using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Direct convolution vectorised over output channels (ONNX Runtime's NCHWc idea), for group-1 k×k convs with few output
/// channels (8 or 16) on small images and a small K = C·KH·KW (mnist-8's 1 → 8 and 8 → 16 5×5 convs). No im2col: the input is
/// copied once into zero-padded planes <c>planes[ci][r][c]</c>, and a tile of 6 output pixels (consecutive in NCHW order,
/// so tiles run across output rows and only the last one overlaps) broadcasts, for each k = (ci, kh, kw), each pixel's
/// input tap from the planes and multiplies it with the weights of 16 (or 8) channels, packed <c>[block][k][16 or 8]</c>
/// (<see cref="WeightMatrix.PackedChannelConv"/>). 12 (or 6) accumulators, sums over k in order from 0 as the im2col GEMM
/// tiles do. The tiles write <c>[pixel][OC]</c> to the scratch, then one 8 × 8-block transpose gives NCHW.
/// Why: with 16 channels the im2col path spent as long building the 200 × 196 col matrix (157 KB) as in the GEMM
/// (which does only 16 FMAs per col element); here every FMA is a whole useful vector and the planes (10 KB) and a
/// block's weights (12.8 KB) stay in L1.
/// </summary>
internal static class ChannelVectorConv
{
    /// <summary>Output pixels per tile.</summary>
    private const int Pixels = 6;

    /// <summary>Largest K taken: a 16-channel block's weights (K × 16 floats, 16 KB) stay in L1 next to the planes.</summary>
    private const int MaxK = 256;

    /// <summary>Switch for the benchmarks' in-process A/B (`-- quick small-conv`); false sends these shapes back to im2col.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether <see cref="Run"/> handles <paramref name="s"/> at <paramref name="level"/> (AVX2 without AVX-512, as <see cref="PhaseConv"/>).</summary>
    public static bool Applies(SimdLevel level, in Conv2DShape s) =>
        Enabled && level == SimdLevel.Vector256 && Vector256.IsHardwareAccelerated && !Wide512.Enabled && Fits(s);

    /// <summary>
    /// Largest planes + outputs taken, in floats (64 KB, in L2 with the weights). Larger images ran slower than their
    /// im2col / phase-plane path (PaddleOCR's 3 → 16 3×3/2 stem on 256×256: 1.09×, BlazeFace's 3 → 24 5×5/2: 1.16×):
    /// planes and outputs then stream through L2 and the transpose is one more pass.
    /// </summary>
    private const int MaxFloats = 1 << 14;

    // Shapes Conv2DScratch sizes for this path (independent of the hardware, so the size is too): group 1, k×k with
    // k > 1, 8 or 16 output channels, K ≤ MaxK, at least one whole tile of pixels, planes + outputs ≤ MaxFloats. With 32
    // channels the im2col GEMM does 4 vector FMAs per col element and its fill costs relatively little: mnist_cnn_fc128's
    // 1 → 32 3×3 on 28×28 ran 1.07× (batch 1) and 1.17× (batch 64) slower here (`-- quick small-conv`).
    private static bool Fits(in Conv2DShape s) =>
        s.Group == 1 && s.KH * s.KW > 1 && s.OC is 8 or 16 && s.C * s.KH * s.KW <= MaxK && s.OH * s.OW >= Pixels
        && ((long)s.C * PaddedRows(s) * PaddedWidth(s)) + ((long)s.OH * s.OW * s.OC) <= MaxFloats;

    private static int PaddedRows(in Conv2DShape s) => Math.Max(s.H + s.PadTop + s.PadBottom, ((s.OH - 1) * s.SH) + ((s.KH - 1) * s.DH) + 1);

    private static int PaddedWidth(in Conv2DShape s) => Math.Max(s.W + s.PadLeft + s.PadRight, ((s.OW - 1) * s.SW) + ((s.KW - 1) * s.DW) + 1);

    /// <summary>Floats of scratch: the padded planes, the K tap offsets and the <c>[pixel][OC]</c> outputs (0 when the path never applies).</summary>
    public static long Scratch(in Conv2DShape s) =>
        Fits(s) ? ((long)s.C * PaddedRows(s) * PaddedWidth(s)) + (s.C * s.KH * s.KW) + ((long)s.OH * s.OW * s.OC) : 0;

    /// <summary>Packs <paramref name="w"/> (OC × K) as <c>[block][k][16]</c>, the last block 8 wide when OC mod 16 = 8 (any OC multiple of 8).</summary>
    public static float[] Pack(WeightMatrix w)
    {
        int k = w.Cols, oc = w.Rows;
        WeightMatrix.RowReader rows = w.ReadRows(new float[k]);
        var packed = new float[oc * k];
        for (int j0 = 0; j0 < oc; j0 += 16)
        {
            int width = Math.Min(16, oc - j0);
            for (int r = 0; r < width; r++)
            {
                ReadOnlySpan<float> row = rows[j0 + r];
                for (int i = 0; i < k; i++)
                {
                    packed[(j0 * k) + (i * width) + r] = row[i];
                }
            }
        }

        return packed;
    }

    /// <summary>
    /// <c>y[n, j, oh, ow] = act(bias[j] + Σ W[j, (ci, kh, kw)]·x[n, ci, oh·SH + kh·DH − PadTop, ow·SW + kw·DW − PadLeft])</c>
    /// for <paramref name="batch"/> images, NCHW; <paramref name="scratch"/> holds at least <see cref="Scratch"/> floats.
    /// With <paramref name="threads"/> &gt; 1 an image's pixel tiles are split over <see cref="IntraOp"/> (mnist-8's 8 → 16
    /// conv is 1.25 MFLOP, 4 parts); each tile is computed alone, so the bits do not depend on the split.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Run(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act,
        int threads = 1)
    {
        Span<float> biasVector = stackalloc float[16];
        RunBody(x, w, bias, y, scratch, in s, batch, act, threads, biasVector);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void RunBody(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act,
        int threads, Span<float> biasVector)
    {
        int hp = PaddedRows(s), wp = PaddedWidth(s), k = s.C * s.KH * s.KW, p = s.OH * s.OW, plane = hp * wp;
        Span<float> planes = scratch[..(s.C * plane)];
        Span<int> offsets = MemoryMarshal.Cast<float, int>(scratch.Slice(planes.Length, k));
        Span<float> nhwc = scratch.Slice(planes.Length + k, p * s.OC);
        for (int ci = 0, i = 0; ci < s.C; ci++)
        {
            for (int kh = 0; kh < s.KH; kh++)
            {
                for (int kw = 0; kw < s.KW; kw++, i++)
                {
                    offsets[i] = (ci * plane) + (kh * s.DH * wp) + (kw * s.DW);
                }
            }
        }

        // Padding rows and columns are written once per call and stay zero: Fill rewrites only the interior.
        planes.Clear();
        biasVector.Clear();
        bias.CopyTo(biasVector);
        var e = new Out(Vector256.LoadUnsafe(ref biasVector[0]), Vector256.LoadUnsafe(ref biasVector[8]), !bias.IsEmpty, act == Activation.Relu);
        int tiles = (p + Pixels - 1) / Pixels;
        int parts = IntraOp.Parts(threads, 2.0 * s.OC * p * k, tiles);
        fixed (float* pp = planes, pn = nhwc, pw = w.PackedChannelConv())
        fixed (int* po = offsets)
        {
            var o = new Operands(pp, po, pw, pn, s, wp, k, e);
            for (int n = 0; n < batch; n++)
            {
                Fill(x.Slice(n * s.C * s.H * s.W, s.C * s.H * s.W), planes, s, hp, wp);
                if (parts > 1)
                {
                    var job = t_job ??= new Job();
                    job.Set(o, tiles);
                    IntraOp.Run(job, parts, threads);
                    job.Set(default, 0);
                }
                else
                {
                    Tiles(o, 0, tiles);
                }

                Kernels.Transpose2D(SimdLevel.Vector256, nhwc, y.Slice(n * s.OC * p, s.OC * p), 1, p, s.OC);
            }
        }
    }

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Tiles [t0, t1) of one image (tile t covers pixels min(6t, P − 6) …, the last shifted back to end at pixel P − 1).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Tiles(in Operands o, int t0, int t1)
    {
        TilesBody(in o, t0, t1);
    }

    // Tiles's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TilesBody(in Operands o, int t0, int t1)
    {
        int p = o.S.OH * o.S.OW;
        bool wide = o.S.OC == 16;
        for (int t = t0; t < t1; t++)
        {
            int q = Math.Min(t * Pixels, p - Pixels);
            Tile(ref *o.Planes, ref *o.Offsets, o.K, ref *o.Weights, wide, q, o.S, o.Wp, o.E, ref o.Nhwc[(nint)q * o.S.OC], o.S.OC);
        }
    }

    /// <summary>One call's operands, pinned by <see cref="Run"/> for its duration: planes, tap offsets, packed weights, <c>[pixel][OC]</c> outputs.</summary>
    private readonly unsafe struct Operands(float* planes, int* offsets, float* weights, float* nhwc, Conv2DShape s, int wp, int k, Out e)
    {
        public readonly float* Planes = planes;
        public readonly int* Offsets = offsets;
        public readonly float* Weights = weights;
        public readonly float* Nhwc = nhwc;
        public readonly Conv2DShape S = s;
        public readonly int Wp = wp;
        public readonly int K = k;
        public readonly Out E = e;
    }

    /// <summary>An image's tiles split into parts (one per calling thread, reused).</summary>
    private sealed class Job : IntraOp.IWork
    {
        private Operands _o;
        private int _tiles;

        public void Set(in Operands o, int tiles)
        {
            _o = o;
            _tiles = tiles;
        }

        public void Run(int part, int parts) => Tiles(_o, _tiles * part / parts, _tiles * (part + 1) / parts);
    }

    /// <summary>Copies one image into the interior of the zero-padded planes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fill(ReadOnlySpan<float> xn, Span<float> planes, in Conv2DShape s, int hp, int wp)
    {
        FillBody(xn, planes, in s, hp, wp);
    }

    // Fill's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillBody(ReadOnlySpan<float> xn, Span<float> planes, in Conv2DShape s, int hp, int wp)
    {
        for (int ci = 0; ci < s.C; ci++)
        {
            for (int ih = 0; ih < s.H; ih++)
            {
                xn.Slice(((ci * s.H) + ih) * s.W, s.W).CopyTo(planes.Slice((((ci * hp) + ih + s.PadTop) * wp) + s.PadLeft, s.W));
            }
        }
    }

    /// <summary>
    /// Pixels q … q + 5 (NCHW order) of one 16- (<paramref name="wide"/>) or 8-channel block: out[i][c] for the block's
    /// channels c, <paramref name="ld"/> floats per pixel.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile(ref float planes, ref int off, int k, ref float w, bool wide, int q, in Conv2DShape s, int wp,
        in Out e, ref float outp, int ld)
    {
        TileBody(ref planes, ref off, k, ref w, wide, q, in s, wp, in e, ref outp, ld);
    }

    // Tile's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileBody(ref float planes, ref int off, int k, ref float w, bool wide, int q, in Conv2DShape s, int wp,
        in Out e, ref float outp, int ld)
    {
        // Each pixel's top-left tap in the planes; tap k of pixel i is then at its base + off[k].
        int oh = q / s.OW, ow = q % s.OW;
        ref float p0 = ref Base(ref planes, ref oh, ref ow, s, wp);
        ref float p1 = ref Base(ref planes, ref oh, ref ow, s, wp);
        ref float p2 = ref Base(ref planes, ref oh, ref ow, s, wp);
        ref float p3 = ref Base(ref planes, ref oh, ref ow, s, wp);
        ref float p4 = ref Base(ref planes, ref oh, ref ow, s, wp);
        ref float p5 = ref Base(ref planes, ref oh, ref ow, s, wp);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        if (wide)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            for (int i = 0; i < k; i++)
            {
                nint o = Unsafe.Add(ref off, i);
                Vector256<float> w0 = Vector256.LoadUnsafe(ref w), w1 = Vector256.LoadUnsafe(ref w, 8);
                Vector256<float> v = Vector256.Create(Unsafe.Add(ref p0, o));
                a0 = Simd.MulAdd(w0, v, a0);
                c0 = Simd.MulAdd(w1, v, c0);
                v = Vector256.Create(Unsafe.Add(ref p1, o));
                a1 = Simd.MulAdd(w0, v, a1);
                c1 = Simd.MulAdd(w1, v, c1);
                v = Vector256.Create(Unsafe.Add(ref p2, o));
                a2 = Simd.MulAdd(w0, v, a2);
                c2 = Simd.MulAdd(w1, v, c2);
                v = Vector256.Create(Unsafe.Add(ref p3, o));
                a3 = Simd.MulAdd(w0, v, a3);
                c3 = Simd.MulAdd(w1, v, c3);
                v = Vector256.Create(Unsafe.Add(ref p4, o));
                a4 = Simd.MulAdd(w0, v, a4);
                c4 = Simd.MulAdd(w1, v, c4);
                v = Vector256.Create(Unsafe.Add(ref p5, o));
                a5 = Simd.MulAdd(w0, v, a5);
                c5 = Simd.MulAdd(w1, v, c5);
                w = ref Unsafe.Add(ref w, 16);
            }

            Store(c0, e.B1, e, ref Unsafe.Add(ref outp, 8));
            Store(c1, e.B1, e, ref Unsafe.Add(ref outp, ld + 8));
            Store(c2, e.B1, e, ref Unsafe.Add(ref outp, (2 * ld) + 8));
            Store(c3, e.B1, e, ref Unsafe.Add(ref outp, (3 * ld) + 8));
            Store(c4, e.B1, e, ref Unsafe.Add(ref outp, (4 * ld) + 8));
            Store(c5, e.B1, e, ref Unsafe.Add(ref outp, (5 * ld) + 8));
        }
        else
        {
            for (int i = 0; i < k; i++)
            {
                nint o = Unsafe.Add(ref off, i);
                Vector256<float> w0 = Vector256.LoadUnsafe(ref w);
                a0 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p0, o)), a0);
                a1 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p1, o)), a1);
                a2 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p2, o)), a2);
                a3 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p3, o)), a3);
                a4 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p4, o)), a4);
                a5 = Simd.MulAdd(w0, Vector256.Create(Unsafe.Add(ref p5, o)), a5);
                w = ref Unsafe.Add(ref w, 8);
            }
        }

        Store(a0, e.B0, e, ref outp);
        Store(a1, e.B0, e, ref Unsafe.Add(ref outp, ld));
        Store(a2, e.B0, e, ref Unsafe.Add(ref outp, 2 * ld));
        Store(a3, e.B0, e, ref Unsafe.Add(ref outp, 3 * ld));
        Store(a4, e.B0, e, ref Unsafe.Add(ref outp, 4 * ld));
        Store(a5, e.B0, e, ref Unsafe.Add(ref outp, 5 * ld));
    }

    /// <summary>The planes' element under output pixel (oh, ow)'s first tap, then (oh, ow) moved to the next pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Base(ref float planes, ref int oh, ref int ow, in Conv2DShape s, int wp)
    {
        ref float at = ref Unsafe.Add(ref planes, (oh * s.SH * wp) + (ow * s.SW));
        if (++ow == s.OW)
        {
            ow = 0;
            oh++;
        }

        return ref at;
    }

    /// <summary>Bias (when there is one, so an empty bias leaves −0 as <see cref="Epilogue"/> does), then "v &lt; 0 ? 0 : v" (keeps NaN), stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v, Vector256<float> bias, in Out e, ref float y)
    {
        if (e.HasBias)
        {
            v += bias;
        }

        (e.Relu ? Simd.Relu(v) : v).StoreUnsafe(ref y);
    }

    /// <summary>A block's epilogue: the bias of its first and second 8 channels, whether to add it, whether to apply ReLU.</summary>
    /// <remarks>A plain struct, not a record: a record's generated Equals/GetHashCode over vectors cannot be precompiled.</remarks>
    private readonly struct Out(Vector256<float> b0, Vector256<float> b1, bool hasBias, bool relu)
    {
        public Vector256<float> B0 { get; } = b0;

        public Vector256<float> B1 { get; } = b1;

        public bool HasBias { get; } = hasBias;

        public bool Relu { get; } = relu;
    }
}
