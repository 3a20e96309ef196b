using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// output KH·KW times.
/// </summary>
internal static class DepthwiseConv
{
    /// <summary>Virtual pixels per block: 4 vectors of 8 (the scalar and 128-bit paths use the same padding).</summary>
    private const int Block = 32;

    /// <summary>Scratch floats <see cref="Run"/> needs: the taps, one prepared plane and the virtual output.</summary>
    public static int Scratch(in Conv2DShape s)
    {
        var g = new Geometry(s);
        return checked((s.KH * s.KW) + g.PlaneFloats + g.Virtual);
    }

    public static void Run(SimdLevel level, ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in Conv2DShape s, int batch, Activation act)
    {
        var g = new Geometry(s);
        int taps = s.KH * s.KW, hw = s.H * s.W, p = s.OH * s.OW;
        Span<float> t = scratch[..taps];
        Span<float> plane = scratch.Slice(taps, g.PlaneFloats);
        Span<float> v = scratch.Slice(taps + g.PlaneFloats, g.Virtual);

        // Where tap (kh, kw) starts reading: its row phase, column phase, row shift and column shift.
        Span<int> offsets = taps <= 256 ? stackalloc int[taps] : new int[taps];
        for (int kh = 0; kh < s.KH; kh++)
        {
            for (int kw = 0; kw < s.KW; kw++)
            {
                int dy = kh * s.DH, dx = kw * s.DW;
                offsets[(kh * s.KW) + kw] = (((((dy % s.SH) * s.SW) + (dx % s.SW)) * g.Rows) + (dy / s.SH)) * g.Len + (dx / s.SW);
            }
        }

        for (int c = 0; c < s.C; c++)
        {
            DecodeRow(w, c, t);
            float b = bias.IsEmpty ? 0 : bias[c];
            for (int n = 0; n < batch; n++)
            {
                int index = (n * s.C) + c;
                Prepare(level, x.Slice(index * hw, hw), plane, s, g);
                Accumulate(level, plane, v, t, offsets, b);
                CopyOut(level, v, y.Slice(index * p, p), s, g.Len, act == Activation.Relu);
            }
        }
    }

    private static void DecodeRow(WeightMatrix w, int row, Span<float> taps)
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

    /// <summary>Fills the prepared plane (see the class summary); the floats past its last row stay zero.</summary>
    private static void Prepare(SimdLevel level, ReadOnlySpan<float> x, Span<float> plane, in Conv2DShape s, in Geometry g)
    {
        int row = 0;
        for (int rp = 0; rp < s.SH; rp++)
        {
            for (int cp = 0; cp < s.SW; cp++)
            {
                // Source column of j is j·SW + q; the in-range j are [lo, hi).
                int q = cp - s.PadLeft;
                int lo = Math.Clamp(Kernels.CeilDiv(-q, s.SW), 0, g.Len);
                int hi = Math.Clamp(Kernels.CeilDiv(s.W - q, s.SW), lo, g.Len);
                for (int m = 0; m < g.Rows; m++, row++)
                {
                    Span<float> dst = plane.Slice(row * g.Len, g.Len);
                    int ih = (m * s.SH) + rp - s.PadTop;
                    if ((uint)ih >= (uint)s.H)
                    {
                        dst.Clear();
                        continue;
                    }

                    dst[..lo].Clear();
                    dst[hi..].Clear();
                    ReadOnlySpan<float> src = x.Slice(ih * s.W, s.W);
                    if (s.SW == 1)
                    {
                        src.Slice(lo + q, hi - lo).CopyTo(dst[lo..hi]);
                    }
                    else
                    {
                        Im2Col.Gather(level, ref Unsafe.Add(ref MemoryMarshal.GetReference(src), (lo * s.SW) + q), s.SW, ref dst[lo], hi - lo);
                    }
                }
            }
        }

        plane[(row * g.Len)..].Clear();
    }

    /// <summary><c>v[o] = bias + Σ_t taps[t]·plane[offsets[t] + o]</c> for every o (a multiple of <see cref="Block"/>).</summary>
    private static void Accumulate(SimdLevel level, ReadOnlySpan<float> plane, Span<float> v, ReadOnlySpan<float> taps, ReadOnlySpan<int> offsets, float bias)
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

    /// <summary>Keeps the first OW of every L virtual pixels, applying the activation.</summary>
    private static void CopyOut(SimdLevel level, ReadOnlySpan<float> v, Span<float> y, in Conv2DShape s, int len, bool relu)
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

            // The last tap reads up to its offset + Virtual − 1, past the last row (into zeros) by at most
            // Virtual − OH·L + the largest column shift, which Len bounds.
            PlaneFloats = checked((s.SH * s.SW * Rows * Len) + (Virtual - (s.OH * Len)) + Len);
        }

        /// <summary>Floats per prepared row, and the virtual output's row length.</summary>
        public int Len { get; }

        /// <summary>Prepared rows per (row phase, column phase).</summary>
        public int Rows { get; }

        /// <summary>OH·L rounded up to a whole block.</summary>
        public int Virtual { get; }

        public int PlaneFloats { get; }
    }
}
