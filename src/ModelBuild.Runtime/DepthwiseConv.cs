using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Depthwise convolution (group = C = OC) without im2col, as one long 1-D convolution per channel.
/// Each input plane is copied once into the scratch, zero-padded and split by stride phase (<see cref="Prepare"/>):
/// <c>plane[rp][cp][m][j] = x[m·SH + rp − PadTop, j·SW + cp − PadLeft]</c> with rows of <c>L</c> floats, where
/// <c>L = OW + ((KW − 1)·DW) / SW</c>. Then output pixel (oh, ow) of tap (kh, kw) reads <c>plane[base(kh, kw) +
/// oh·L + ow]</c>: linear in the "virtual" index <c>o = oh·L + ow</c>, so the whole channel is computed as
/// <c>v[o] = bias + Σ_taps tap·plane[base + o]</c> over all OH·L virtual pixels, 32 at a time in four independent
/// accumulators (a row of 8 or 16 pixels alone would leave one FMA chain waiting on its own latency), with every tap
/// in registers and one store per output. The <c>L − OW</c> extra columns per row are computed and dropped when
/// <c>v</c> is copied out (the activation applied on the way). An axpy per tap would instead read and write the
/// output KH·KW times. 3×3 kernels with stride 1 or 2 and ≥ 8 outputs per row take <see cref="Direct3x3"/> on AVX2
/// instead of the virtual pixels: taps in registers, 4 output rows per block sharing their loads, stores straight into y;
/// 5×5 kernels with row stride 1 or 2 and column stride 1 take <see cref="Direct5x5"/> the same way, a kernel column's taps at a time.
/// </summary>
internal static partial class DepthwiseConv
{
    /// <summary>Virtual pixels per block: 4 vectors of 8 (the scalar and 128-bit paths use the same padding).</summary>
    private const int Block = 32;

    /// <summary>Scratch floats <see cref="Run"/> needs: the taps, one prepared plane and the virtual output (a block more for <see cref="ByRow"/>).</summary>
    public static int Scratch(in Conv2DShape s)
    {
        var g = new Geometry(s);
        return checked((s.KH * s.KW) + g.PlaneFloats + g.Virtual + Block);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        // The taps' offsets: here, so that the body (no stackalloc of a variable size) can be inlined.
        int taps = s.KH * s.KW;
        Span<int> offsets = taps <= 256 ? stackalloc int[256] : new int[taps];
        RunBody(level, x, w, bias, y, scratch, in s, batch, act, offsets[..taps]);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act, Span<int> offsets)
    {
        var g = new Geometry(s);
        int taps = s.KH * s.KW, hw = s.H * s.W, p = s.OH * s.OW;
        Span<float> t = scratch[..taps];
        Span<float> plane = scratch.Slice(taps, g.PlaneFloats);
        Span<float> v = scratch.Slice(taps + g.PlaneFloats, g.Virtual + Block);

        // Where tap (kh, kw) starts reading: its row phase, column phase, row shift and column shift.
        for (int kh = 0; kh < s.KH; kh++)
        {
            for (int kw = 0; kw < s.KW; kw++)
            {
                int dy = kh * s.DH, dx = kw * s.DW;
                offsets[(kh * s.KW) + kw] = (((((dy % s.SH) * s.SW) + (dx % s.SW)) * g.Rows) + (dy / s.SH)) * g.Len + (dx / s.SW);
            }
        }

        bool direct3x3 = Direct3x3Applies(level, s), direct5x5 = Direct5x5Applies(level, s);
        bool byRow = !direct3x3 && !direct5x5 && ByRow(s, g);
        plane.Clear();
        for (int c = 0; c < s.C; c++)
        {
            DecodeRow(w, c, t);
            float b = bias.IsEmpty ? 0 : bias[c];
            for (int n = 0; n < batch; n++)
            {
                int index = (n * s.C) + c;
                Prepare(level, x.Slice(index * hw, hw), plane, s, g);
                if (direct3x3)
                {
                    Direct3x3(plane, y.Slice(index * p, p), t, b, s, g, act == Activation.Relu);
                    continue;
                }

                if (direct5x5)
                {
                    Direct5x5(plane, y.Slice(index * p, p), t, b, s, g, act == Activation.Relu);
                    continue;
                }

                if (byRow)
                {
                    for (int oh = 0; oh < s.OH; oh++)
                    {
                        // The taps of the kernel rows that read real input rows: contiguous in the row-major taps.
                        (int kh0, int kh1) = TapRows(s, oh);
                        int first = kh0 * s.KW, count = (kh1 - kh0) * s.KW;
                        Accumulate(level, plane[(oh * g.Len)..], v.Slice(oh * g.Len, g.RowVirtual), t.Slice(first, count), offsets.Slice(first, count), b);
                    }
                }
                else
                {
                    Accumulate(level, plane, v[..g.Virtual], t, offsets, b);
                }

                CopyOut(level, v, y.Slice(index * p, p), s, g.Len, act == Activation.Relu);
            }
        }
    }

    /// <summary>
    /// Whether to compute output row by row with only the kernel rows that read real input (<see cref="TapRows"/>):
    /// on planes a few rows high (a 5×5 kernel over 2–3 rows, PaddleOCR's classifier and recogniser) most taps of the
    /// whole-plane pass multiply padding zeros. Chosen when it does fewer multiply-adds, counting each row's virtual
    /// pixels rounded up to whole blocks.
    /// </summary>
    private static bool ByRow(in Conv2DShape s, in Geometry g)
    {
        long rows = 0;
        for (int oh = 0; oh < s.OH; oh++)
        {
            (int kh0, int kh1) = TapRows(s, oh);
            rows += (long)g.RowVirtual * (kh1 - kh0);
        }

        return rows * 10 < (long)g.Virtual * s.KH * 9;
    }

    /// <summary>The kernel rows [kh0, kh1) whose input row for output row <paramref name="oh"/> lies inside the input (not in its padding).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (int Kh0, int Kh1) TapRows(in Conv2DShape s, int oh)
    {
        return TapRowsBody(in s, oh);
    }

    // TapRows's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Kh0, int Kh1) TapRowsBody(in Conv2DShape s, int oh)
    {
        int kh0 = 0, kh1 = s.KH;
        while (kh0 < kh1 && (oh * s.SH) - s.PadTop + (kh0 * s.DH) < 0)
        {
            kh0++;
        }

        while (kh1 > kh0 && (oh * s.SH) - s.PadTop + ((kh1 - 1) * s.DH) >= s.H)
        {
            kh1--;
        }

        return (kh0, kh1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DecodeRow(WeightMatrix w, int row, Span<float> taps)
    {
        DecodeRowBody(w, row, taps);
    }

    // DecodeRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeRowBody(WeightMatrix w, int row, Span<float> taps)
    {
        int k = w.Cols;
        if (w.Format == WeightFormat.Float32)
        {
            w.Floats.Slice(row * k, k).CopyTo(taps);
            return;
        }

        ReadOnlySpan<sbyte> q = w.Int8.Slice(row * k, k);
        float scale = w.Scales[row];
        int zp = w.Format == WeightFormat.Int8Asymmetric ? w.ZeroPoints[row] : 0;
        for (int i = 0; i < k; i++)
        {
            taps[i] = (q[i] - zp) * scale;
        }
    }

    /// <summary>
    /// Copies one input plane into the prepared plane (see the class summary), writing only the positions that hold input
    /// values: which ones depends on the shape alone, so the padding, the margins and the tail are zeroed once per call
    /// (<see cref="Run"/>) and stay zero for every channel. Per input row: stride 1 is one copy; stride 2 with an even
    /// width splits the row into its even and odd columns in one pass (two loads, two shuffles, two stores per 8 pairs).
    /// Clearing each prepared row's margins per channel (two calls per row) had cost more than the copies on 16×16 maps.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Prepare(SimdLevel level, ReadOnlySpan<float> x, Span<float> plane, in Conv2DShape s, in Geometry g)
    {
        PrepareBody(level, x, plane, in s, in g);
    }

    // Prepare's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrepareBody(SimdLevel level, ReadOnlySpan<float> x, Span<float> plane, in Conv2DShape s, in Geometry g)
    {
        ref float pl = ref MemoryMarshal.GetReference(plane);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        int len = g.Len, pad = s.PadLeft;

        // Stride 2: source column 2i goes to column phase cpE at i + jE, column 2i + 1 to phase cpO at i + jO.
        int cpE = pad % 2, jE = pad / 2, cpO = (pad + 1) % 2, jO = (pad + 1) / 2;
        bool split = s.SW == 2 && s.W % 2 == 0 && jE + (s.W / 2) <= len && jO + (s.W / 2) <= len;
        for (int ih = 0; ih < s.H; ih++)
        {
            int ph = ih + s.PadTop, rp = ph % s.SH, m = ph / s.SH;
            if (m >= g.Rows)
            {
                continue;
            }

            ref float src = ref Unsafe.Add(ref x0, ih * s.W);
            int phaseRow = rp * s.SW * g.Rows;
            if (s.SW == 1)
            {
                // Source column w goes to column w + pad; columns at or past len are read by no output.
                Copy(level, ref src, ref Unsafe.Add(ref pl, ((phaseRow + m) * len) + pad), Math.Min(s.W, len - pad));
            }
            else if (split)
            {
                Split(level, ref src, ref Unsafe.Add(ref pl, (((phaseRow + (cpE * g.Rows)) + m) * len) + jE),
                    ref Unsafe.Add(ref pl, (((phaseRow + (cpO * g.Rows)) + m) * len) + jO), s.W / 2);
            }
            else
            {
                for (int cp = 0; cp < s.SW; cp++)
                {
                    // Source column of j is j·SW + q; the in-range j are [lo, hi).
                    int q = cp - pad;
                    int lo = Math.Clamp(Kernels.CeilDiv(-q, s.SW), 0, len);
                    int hi = Math.Clamp(Kernels.CeilDiv(s.W - q, s.SW), lo, len);
                    if (hi > lo)
                    {
                        Im2Col.Gather(level, ref Unsafe.Add(ref src, (lo * s.SW) + q), s.SW, ref Unsafe.Add(ref pl, ((phaseRow + (cp * g.Rows) + m) * len) + lo), hi - lo);
                    }
                }
            }
        }
    }

    /// <summary><c>dst[i] = src[i]</c> for i &lt; n; a last partial register is shifted back to end at n.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Copy(SimdLevel level, ref float src, ref float dst, int n)
    {
        CopyBody(level, ref src, ref dst, n);
    }

    // Copy's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyBody(SimdLevel level, ref float src, ref float dst, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256 && n >= 8)
        {
            for (int last = n - 8; ; i = Math.Min(i + 8, last))
            {
                Vector256.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
                if (i == last)
                {
                    return;
                }
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
        }
    }

    /// <summary><c>even[i] = src[2i]</c>, <c>odd[i] = src[2i + 1]</c> for i &lt; n (reads 2n floats).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Split(SimdLevel level, ref float src, ref float even, ref float odd, int n)
    {
        SplitBody(level, ref src, ref even, ref odd, n);
    }

    // Split's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitBody(SimdLevel level, ref float src, ref float even, ref float odd, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256 && Avx2.IsSupported && n >= 8)
        {
            for (int last = n - 8; ; i = Math.Min(i + 8, last))
            {
                // vshufps takes lanes 0, 2 (1, 3) of each 128-bit half of both registers: a0 a2 b0 b2 | a4 a6 b4 b6;
                // swapping the middle 64-bit pairs puts them in order.
                Vector256<float> a = Vector256.LoadUnsafe(ref src, (nuint)(2 * i));
                Vector256<float> b = Vector256.LoadUnsafe(ref src, (nuint)((2 * i) + 8));
                Simd.SwapMiddlePairs(Avx.Shuffle(a, b, 0b10_00_10_00)).StoreUnsafe(ref even, (nuint)i);
                Simd.SwapMiddlePairs(Avx.Shuffle(a, b, 0b11_01_11_01)).StoreUnsafe(ref odd, (nuint)i);
                if (i == last)
                {
                    return;
                }
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref even, i) = Unsafe.Add(ref src, 2 * i);
            Unsafe.Add(ref odd, i) = Unsafe.Add(ref src, (2 * i) + 1);
        }
    }

    /// <summary><c>v[o] = bias + Σ_t taps[t]·plane[offsets[t] + o]</c> for every o (a multiple of <see cref="Block"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Accumulate(SimdLevel level, ReadOnlySpan<float> plane, Span<float> v, ReadOnlySpan<float> taps, ReadOnlySpan<int> offsets, float bias)
    {
        AccumulateBody(level, plane, v, taps, offsets, bias);
    }

    // Accumulate's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateBody(SimdLevel level, ReadOnlySpan<float> plane, Span<float> v, ReadOnlySpan<float> taps, ReadOnlySpan<int> offsets, float bias)
    {
        ref float pl = ref MemoryMarshal.GetReference(plane);
        ref float tp = ref MemoryMarshal.GetReference(taps);
        ref float vo = ref MemoryMarshal.GetReference(v);
        for (int o = 0; o < v.Length; o += Block)
        {
            ref float src = ref Unsafe.Add(ref pl, o);
            ref float dst = ref Unsafe.Add(ref vo, o);
            if (level == SimdLevel.Vector256)
            {
                // Even and odd taps in separate accumulators: 8 FMA chains in flight, enough to cover the FMA latency
                // on both FMA ports (4 chains left half the FMA rate unused).
                Vector256<float> a = Vector256.Create(bias), b = a, c = a, d = a;
                Vector256<float> e = Vector256<float>.Zero, f = e, g = e, h = e;
                int t = 0;
                for (; t <= offsets.Length - 2; t += 2)
                {
                    ref float at = ref Unsafe.Add(ref src, offsets[t]);
                    ref float at2 = ref Unsafe.Add(ref src, offsets[t + 1]);
                    Vector256<float> tap = Vector256.Create(Unsafe.Add(ref tp, t));
                    Vector256<float> tap2 = Vector256.Create(Unsafe.Add(ref tp, t + 1));
                    a = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at), a);
                    b = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 8), b);
                    c = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 16), c);
                    d = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 24), d);
                    e = Simd.MulAdd(tap2, Vector256.LoadUnsafe(ref at2), e);
                    f = Simd.MulAdd(tap2, Vector256.LoadUnsafe(ref at2, 8), f);
                    g = Simd.MulAdd(tap2, Vector256.LoadUnsafe(ref at2, 16), g);
                    h = Simd.MulAdd(tap2, Vector256.LoadUnsafe(ref at2, 24), h);
                }

                if (t < offsets.Length)
                {
                    ref float at = ref Unsafe.Add(ref src, offsets[t]);
                    Vector256<float> tap = Vector256.Create(Unsafe.Add(ref tp, t));
                    a = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at), a);
                    b = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 8), b);
                    c = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 16), c);
                    d = Simd.MulAdd(tap, Vector256.LoadUnsafe(ref at, 24), d);
                }

                (a + e).StoreUnsafe(ref dst);
                (b + f).StoreUnsafe(ref dst, 8);
                (c + g).StoreUnsafe(ref dst, 16);
                (d + h).StoreUnsafe(ref dst, 24);
            }
            else if (level == SimdLevel.Vector128)
            {
                for (int half = 0; half < Block; half += 16)
                {
                    Vector128<float> a = Vector128.Create(bias), b = a, c = a, d = a;
                    for (int t = 0; t < offsets.Length; t++)
                    {
                        ref float at = ref Unsafe.Add(ref src, offsets[t] + half);
                        Vector128<float> tap = Vector128.Create(Unsafe.Add(ref tp, t));
                        a = Simd.MulAdd(tap, Vector128.LoadUnsafe(ref at), a);
                        b = Simd.MulAdd(tap, Vector128.LoadUnsafe(ref at, 4), b);
                        c = Simd.MulAdd(tap, Vector128.LoadUnsafe(ref at, 8), c);
                        d = Simd.MulAdd(tap, Vector128.LoadUnsafe(ref at, 12), d);
                    }

                    a.StoreUnsafe(ref dst, (nuint)half);
                    b.StoreUnsafe(ref dst, (nuint)half + 4);
                    c.StoreUnsafe(ref dst, (nuint)half + 8);
                    d.StoreUnsafe(ref dst, (nuint)half + 12);
                }
            }
            else
            {
                for (int i = 0; i < Block; i++)
                {
                    float sum = bias;
                    for (int t = 0; t < offsets.Length; t++)
                    {
                        sum += Unsafe.Add(ref tp, t) * Unsafe.Add(ref src, offsets[t] + i);
                    }

                    Unsafe.Add(ref dst, i) = sum;
                }
            }
        }
    }

    /// <summary>
    /// AVX2 3×3 kernels, stride 1 or 2, no dilation, at least 8 outputs per row (MobileNet's and BlazeFace's depthwise
    /// layers): <see cref="Direct3x3"/>.
    /// </summary>
    private static bool Direct3x3Applies(SimdLevel level, in Conv2DShape s)
        => level == SimdLevel.Vector256 && s.KH == 3 && s.KW == 3 && s.DH == 1 && s.DW == 1
            && s.SH == s.SW && (s.SH == 1 || s.SH == 2) && s.OW >= 8;

    /// <summary>
    /// One channel of a 3×3 depthwise conv from the prepared plane straight into y (NCHW, OH × OW), AVX2. The 9 taps stay
    /// in registers, and a block is 8 output columns of 4 output rows (4 accumulators; consecutive blocks are independent,
    /// so their FMA chains overlap): 36 loads per 36 FMAs, where <see cref="Accumulate"/> also broadcast every tap and read
    /// its offset per use (1.5 loads per FMA, and it is load-bound). Outputs are computed only where they are stored: no
    /// L − OW extra columns and no copy-out pass. The last column block is shifted back to end at OW and the last row
    /// group's rows are clamped to OH − 1: recomputed outputs get the same bits. Taps are added in row-major order.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Direct3x3(ReadOnlySpan<float> plane, Span<float> y, ReadOnlySpan<float> t, float bias, in Conv2DShape s, in Geometry g, bool relu)
    {
        Direct3x3Body(plane, y, t, bias, in s, in g, relu);
    }

    // Direct3x3's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Direct3x3Body(ReadOnlySpan<float> plane, Span<float> y, ReadOnlySpan<float> t, float bias, in Conv2DShape s, in Geometry g, bool relu)
    {
        int len = g.Len, ow = s.OW, oh = s.OH;

        // Tap (kh, kw) of output (r, c) reads plane[rowOff[kh] + colOff[kw] + r·L + c] (the offsets of Run, split).
        int phaseRows = g.Rows * len;
        int r1 = s.SH == 1 ? len : s.SW * phaseRows, r2 = s.SH == 1 ? 2 * len : len;
        int c1 = s.SW == 1 ? 1 : phaseRows, c2 = s.SW == 1 ? 2 : 1;
        ref float pl = ref MemoryMarshal.GetReference(plane);
        ref float yo = ref MemoryMarshal.GetReference(y);
        Vector256<float> t00 = Vector256.Create(t[0]), t01 = Vector256.Create(t[1]), t02 = Vector256.Create(t[2]);
        Vector256<float> t10 = Vector256.Create(t[3]), t11 = Vector256.Create(t[4]), t12 = Vector256.Create(t[5]);
        Vector256<float> t20 = Vector256.Create(t[6]), t21 = Vector256.Create(t[7]), t22 = Vector256.Create(t[8]);
        Vector256<float> b = Vector256.Create(bias);
        int lastColumn = ow - 8;
        for (int q = 0; q < oh; q += 4)
        {
            int ra = q, rb = Math.Min(q + 1, oh - 1), rc = Math.Min(q + 2, oh - 1), rd = Math.Min(q + 3, oh - 1);
            for (int c = 0; ; c = Math.Min(c + 8, lastColumn))
            {
                Vector256<float> a = b, bb = b, cc = b, d = b;
                if (q + 3 < oh)
                {
                    // 4 consecutive rows: a load serves every row whose window covers it, in the same tap order.
                    ref float p0 = ref Unsafe.Add(ref pl, (q * len) + c);
                    Vector256<float> x;
                    if (s.SH == 1)
                    {
                        x = Vector256.LoadUnsafe(ref p0, (nuint)0);
                        a = Simd.MulAdd(t00, x, a);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)1);
                        a = Simd.MulAdd(t01, x, a);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)2);
                        a = Simd.MulAdd(t02, x, a);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)len);
                        a = Simd.MulAdd(t10, x, a);
                        bb = Simd.MulAdd(t00, x, bb);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)(len + 1));
                        a = Simd.MulAdd(t11, x, a);
                        bb = Simd.MulAdd(t01, x, bb);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)(len + 2));
                        a = Simd.MulAdd(t12, x, a);
                        bb = Simd.MulAdd(t02, x, bb);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((2 * len)));
                        a = Simd.MulAdd(t20, x, a);
                        bb = Simd.MulAdd(t10, x, bb);
                        cc = Simd.MulAdd(t00, x, cc);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((2 * len) + 1));
                        a = Simd.MulAdd(t21, x, a);
                        bb = Simd.MulAdd(t11, x, bb);
                        cc = Simd.MulAdd(t01, x, cc);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((2 * len) + 2));
                        a = Simd.MulAdd(t22, x, a);
                        bb = Simd.MulAdd(t12, x, bb);
                        cc = Simd.MulAdd(t02, x, cc);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((3 * len)));
                        bb = Simd.MulAdd(t20, x, bb);
                        cc = Simd.MulAdd(t10, x, cc);
                        d = Simd.MulAdd(t00, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((3 * len) + 1));
                        bb = Simd.MulAdd(t21, x, bb);
                        cc = Simd.MulAdd(t11, x, cc);
                        d = Simd.MulAdd(t01, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((3 * len) + 2));
                        bb = Simd.MulAdd(t22, x, bb);
                        cc = Simd.MulAdd(t12, x, cc);
                        d = Simd.MulAdd(t02, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((4 * len)));
                        cc = Simd.MulAdd(t20, x, cc);
                        d = Simd.MulAdd(t10, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((4 * len) + 1));
                        cc = Simd.MulAdd(t21, x, cc);
                        d = Simd.MulAdd(t11, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((4 * len) + 2));
                        cc = Simd.MulAdd(t22, x, cc);
                        d = Simd.MulAdd(t12, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((5 * len)));
                        d = Simd.MulAdd(t20, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((5 * len) + 1));
                        d = Simd.MulAdd(t21, x, d);
                        x = Vector256.LoadUnsafe(ref p0, (nuint)((5 * len) + 2));
                        d = Simd.MulAdd(t22, x, d);
                    }
                    else
                    {
                        x = Vector256.LoadUnsafe(ref p0);
                        a = Simd.MulAdd(t00, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, c1));
                        a = Simd.MulAdd(t01, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, 1));
                        a = Simd.MulAdd(t02, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1));
                        a = Simd.MulAdd(t10, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + c1));
                        a = Simd.MulAdd(t11, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + 1));
                        a = Simd.MulAdd(t12, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, len));
                        bb = Simd.MulAdd(t00, x, bb);
                        a = Simd.MulAdd(t20, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, len + c1));
                        bb = Simd.MulAdd(t01, x, bb);
                        a = Simd.MulAdd(t21, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, len + 1));
                        bb = Simd.MulAdd(t02, x, bb);
                        a = Simd.MulAdd(t22, x, a);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + len));
                        bb = Simd.MulAdd(t10, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + len + c1));
                        bb = Simd.MulAdd(t11, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + len + 1));
                        bb = Simd.MulAdd(t12, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (2 * len)));
                        cc = Simd.MulAdd(t00, x, cc);
                        bb = Simd.MulAdd(t20, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (2 * len) + c1));
                        cc = Simd.MulAdd(t01, x, cc);
                        bb = Simd.MulAdd(t21, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (2 * len) + 1));
                        cc = Simd.MulAdd(t02, x, cc);
                        bb = Simd.MulAdd(t22, x, bb);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (2 * len)));
                        cc = Simd.MulAdd(t10, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (2 * len) + c1));
                        cc = Simd.MulAdd(t11, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (2 * len) + 1));
                        cc = Simd.MulAdd(t12, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (3 * len)));
                        d = Simd.MulAdd(t00, x, d);
                        cc = Simd.MulAdd(t20, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (3 * len) + c1));
                        d = Simd.MulAdd(t01, x, d);
                        cc = Simd.MulAdd(t21, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (3 * len) + 1));
                        d = Simd.MulAdd(t02, x, d);
                        cc = Simd.MulAdd(t22, x, cc);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (3 * len)));
                        d = Simd.MulAdd(t10, x, d);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (3 * len) + c1));
                        d = Simd.MulAdd(t11, x, d);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, r1 + (3 * len) + 1));
                        d = Simd.MulAdd(t12, x, d);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (4 * len)));
                        d = Simd.MulAdd(t20, x, d);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (4 * len) + c1));
                        d = Simd.MulAdd(t21, x, d);
                        x = Vector256.LoadUnsafe(ref Unsafe.Add(ref p0, (4 * len) + 1));
                        d = Simd.MulAdd(t22, x, d);
                    }
                }
                else
                {
                    ref float pa = ref Unsafe.Add(ref pl, (ra * len) + c);
                    ref float pb = ref Unsafe.Add(ref pl, (rb * len) + c);
                    ref float pc = ref Unsafe.Add(ref pl, (rc * len) + c);
                    ref float pd = ref Unsafe.Add(ref pl, (rd * len) + c);
                    a = Row(ref pa, 0, c1, c2, t00, t01, t02, a);
                    bb = Row(ref pb, 0, c1, c2, t00, t01, t02, bb);
                    cc = Row(ref pc, 0, c1, c2, t00, t01, t02, cc);
                    d = Row(ref pd, 0, c1, c2, t00, t01, t02, d);
                    a = Row(ref pa, r1, c1, c2, t10, t11, t12, a);
                    bb = Row(ref pb, r1, c1, c2, t10, t11, t12, bb);
                    cc = Row(ref pc, r1, c1, c2, t10, t11, t12, cc);
                    d = Row(ref pd, r1, c1, c2, t10, t11, t12, d);
                    a = Row(ref pa, r2, c1, c2, t20, t21, t22, a);
                    bb = Row(ref pb, r2, c1, c2, t20, t21, t22, bb);
                    cc = Row(ref pc, r2, c1, c2, t20, t21, t22, cc);
                    d = Row(ref pd, r2, c1, c2, t20, t21, t22, d);
                }

                if (relu)
                {
                    ReluOperator op = default;
                    a = op.Invoke(a);
                    bb = op.Invoke(bb);
                    cc = op.Invoke(cc);
                    d = op.Invoke(d);
                }

                // Row d first: when rows are clamped, the stores of a duplicated row carry the same values anyway.
                d.StoreUnsafe(ref yo, (nuint)((rd * ow) + c));
                cc.StoreUnsafe(ref yo, (nuint)((rc * ow) + c));
                bb.StoreUnsafe(ref yo, (nuint)((rb * ow) + c));
                a.StoreUnsafe(ref yo, (nuint)((ra * ow) + c));
                if (c == lastColumn)
                {
                    break;
                }
            }
        }
    }

    /// <summary><c>acc + t0·p[row] + t1·p[row + c1] + t2·p[row + c2]</c>, 8 outputs (one kernel row of <see cref="Direct3x3"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(ref float p, int row, int c1, int c2, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> acc)
    {
        ref float at = ref Unsafe.Add(ref p, row);
        acc = Simd.MulAdd(t0, Vector256.LoadUnsafe(ref at), acc);
        acc = Simd.MulAdd(t1, Vector256.LoadUnsafe(ref Unsafe.Add(ref at, c1)), acc);
        return Simd.MulAdd(t2, Vector256.LoadUnsafe(ref Unsafe.Add(ref at, c2)), acc);
    }

    /// <summary>Keeps the first OW of every L virtual pixels, applying the activation.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CopyOut(SimdLevel level, ReadOnlySpan<float> v, Span<float> y, in Conv2DShape s, int len, bool relu)
    {
        CopyOutBody(level, v, y, in s, len, relu);
    }

    // CopyOut's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyOutBody(SimdLevel level, ReadOnlySpan<float> v, Span<float> y, in Conv2DShape s, int len, bool relu)
    {
        for (int oh = 0; oh < s.OH; oh++)
        {
            ReadOnlySpan<float> src = v.Slice(oh * len, s.OW);
            Span<float> dst = y.Slice(oh * s.OW, s.OW);
            if (relu)
            {
                Elementwise.Unary(level, default(ReluOperator), src, dst);
            }
            else
            {
                src.CopyTo(dst);
            }
        }
    }

    /// <summary>The prepared plane's dimensions (see the class summary).</summary>
    private readonly struct Geometry
    {
        public Geometry(in Conv2DShape s)
        {
            Len = s.OW + ((s.KW - 1) * s.DW / s.SW);
            Rows = s.OH + ((s.KH - 1) * s.DH / s.SH);
            Virtual = checked((s.OH * Len) + Block - 1) / Block * Block;
            RowVirtual = (Len + Block - 1) / Block * Block;

            // The last tap reads up to its offset + Virtual − 1, past the last row (into zeros) by at most
            // Virtual − OH·L + the largest column shift, which Len bounds; row by row, the last row's pass reads up
            // to (OH − 1)·L + RowVirtual − 1 past its offset, less than a block more.
            PlaneFloats = checked((s.SH * s.SW * Rows * Len) + (Virtual - (s.OH * Len)) + Len + Block);
        }

        /// <summary>Floats per prepared row, and the virtual output's row length.</summary>
        public int Len { get; }

        /// <summary>Prepared rows per (row phase, column phase).</summary>
        public int Rows { get; }

        /// <summary>OH·L rounded up to a whole block.</summary>
        public int Virtual { get; }

        /// <summary>L rounded up to a whole block: one output row's pass in <see cref="ByRow"/> mode.</summary>
        public int RowVirtual { get; }

        public int PlaneFloats { get; }
    }
}
