using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// The im2col layout of a convolution group's input, <c>col[(ci·KH + kh)·KW + kw, pixel]</c> (zero where a tap falls
/// in the padding), built a few output rows at a time. A whole im2col matrix of a large layer (PaddleOCR's 96 → 24
/// 3×3 on 64×64: 864 × 4096 floats, 14 MB) leaves the cache, and its rows, 16 KB apart, fall into the same cache sets,
/// so the GEMM's K × 24 tile reads miss; a panel of a few output rows stays in L2 with rows a few hundred bytes apart.
/// </summary>
internal static class Im2Col
{
    /// <summary>The col panel's target size in floats (128 KB: larger panels measured slower, 256 KB by 1.6× on BlazeFace's stem).</summary>
    private const int PanelFloats = 1 << 15;

    /// <summary>Output rows per panel: as many as fit <see cref="PanelFloats"/>, at least one, at most OH.</summary>
    internal static int RowsPerPanel(in Conv2DShape s, int k) => Math.Clamp(PanelFloats / Math.Max(1, k * s.OW), 1, s.OH);

    /// <summary>Scratch for <see cref="Chunks"/>: the panel, and when the image takes several panels, their outputs.</summary>
    public static int Scratch(in Conv2DShape s)
    {
        int k = s.C / s.Group * s.KH * s.KW, rows = RowsPerPanel(s, k);
        return rows >= s.OH ? checked(k * s.OH * s.OW) : checked(((k + (s.OC / s.Group)) * rows * s.OW));
    }

    /// <summary>
    /// The panels of one group in order: <c>Next</c> fills the next one, the GEMM writes <see cref="Output"/>
    /// (the group's output itself when one panel covers the image, else a buffer) and <see cref="CopyOut"/> moves
    /// a buffer's rows into place.
    /// </summary>
    public ref struct Chunks
    {
        private readonly SimdLevel _level;
        private readonly Conv2DShape _s;
        private readonly int _cg;
        private readonly int _rows;
        private readonly Span<float> _col;
        private readonly Span<float> _out;
        private int _oh0;
        private int _oh1;

        public Chunks(SimdLevel level, in Conv2DShape s, int cg, Span<float> scratch)
        {
            _level = level;
            _s = s;
            _cg = cg;
            int k = cg * s.KH * s.KW;
            _rows = RowsPerPanel(s, k);
            _col = scratch[..(k * _rows * s.OW)];
            _out = _rows >= s.OH ? default : scratch.Slice(k * _rows * s.OW, s.OC / s.Group * _rows * s.OW);
            _oh0 = _oh1 = 0;
        }

        /// <summary>The panel, <c>k × Pixels</c> floats with rows <see cref="Pixels"/> apart.</summary>
        public readonly ref float Col => ref MemoryMarshal.GetReference(_col);

        /// <summary>The panel's pixels (its output rows × OW), also its row stride.</summary>
        public readonly int Pixels => (_oh1 - _oh0) * _s.OW;

        /// <summary>Fills the next panel from the group's input; false when every output row is done.</summary>
        public bool Next(ReadOnlySpan<float> xg)
        {
            if (_oh1 >= _s.OH)
            {
                return false;
            }

            _oh0 = _oh1;
            _oh1 = Math.Min(_s.OH, _oh0 + _rows);
            Fill(_level, xg, _col[..(_cg * _s.KH * _s.KW * Pixels)], _s, _cg, _oh0, _oh1);
            return true;
        }

        /// <summary>Where the GEMM writes the panel's <paramref name="ocg"/> output rows (row stride = the GEMM's pixels).</summary>
        public readonly ref float Output(ref float yg, int ocg) => ref _out.IsEmpty ? ref yg : ref MemoryMarshal.GetReference(_out);

        /// <summary>Copies a buffered output into the group's output <paramref name="yg"/> (OH·OW floats per channel).</summary>
        /// <remarks>Inlined into the GEMM's caller, whose loops carry no dynamic-PGO probes (IMPLEMENTATION.md, "Dynamic PGO").</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void CopyOut(ref float yg, int ocg)
        {
            if (_out.IsEmpty)
            {
                return;
            }

            int px = Pixels, p = _s.OH * _s.OW;
            for (int j = 0; j < ocg; j++)
            {
                Simd.Copy(_out.Slice(j * px, px), MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yg, ((nint)j * p) + (_oh0 * _s.OW)), px));
            }
        }
    }

    /// <summary>
    /// The im2col rows of output rows [oh0, oh1): <c>col[row, (oh − oh0)·OW + ow]</c>, rows <c>ld</c> floats apart when
    /// <c>ld</c> &gt; 0 (several images' panels side by side, <c>ConvBatch</c>), else the panel's pixels apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fill(SimdLevel level, ReadOnlySpan<float> xg, Span<float> col, in Conv2DShape s, int cg, int oh0, int oh1, int ld = 0)
    {
        FillBody(level, xg, col, in s, cg, oh0, oh1, ld);
    }

    // Fill's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillBody(SimdLevel level, ReadOnlySpan<float> xg, Span<float> col, in Conv2DShape s, int cg, int oh0, int oh1, int ld = 0)
    {
        if (s.SH == 1 && s.SW == 1 && s.OW == s.W)
        {
            FillShifted(xg, col, s, cg, oh0, oh1, ld);
            return;
        }

        int p = (oh1 - oh0) * s.OW;
        int row = 0;
        for (int ci = 0; ci < cg; ci++)
        {
            for (int kh = 0; kh < s.KH; kh++)
            {
                for (int kw = 0; kw < s.KW; kw++, row++)
                {
                    Span<float> dst = col.Slice(row * (ld > 0 ? ld : p), p);
                    int dx = (kw * s.DW) - s.PadLeft;

                    // Output columns whose tap lands inside the image: ow·SW + dx ∈ [0, W).
                    int owLo = Math.Clamp(Kernels.CeilDiv(-dx, s.SW), 0, s.OW);
                    int owHi = Math.Clamp(Kernels.CeilDiv(s.W - dx, s.SW), owLo, s.OW);
                    if (s.SW == 2 && owLo == 0 && owHi == s.OW && s.OW >= 8 && level == SimdLevel.Vector256 && Avx2.IsSupported)
                    {
                        Stride2Rows(xg, dst, s, ci, kh, dx, oh0, oh1);
                        continue;
                    }

                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        Span<float> d = dst.Slice((oh - oh0) * s.OW, s.OW);
                        int ih = (oh * s.SH) - s.PadTop + (kh * s.DH);
                        if ((uint)ih >= (uint)s.H)
                        {
                            Simd.Fill(d, 0);
                            continue;
                        }

                        ZeroEdges(ref MemoryMarshal.GetReference(d), owLo, owHi, s.OW);
                        if (owHi > owLo)
                        {
                            int from = (ci * s.H * s.W) + (ih * s.W) + (owLo * s.SW) + dx;
                            Gather(level, ref Unsafe.Add(ref MemoryMarshal.GetReference(xg), from), s.SW, ref d[owLo], owHi - owLo, xg.Length - from);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One col row of a stride-2 conv whose taps all land inside the image horizontally (no left or right padding for this
    /// kw), for output rows [oh0, oh1): per output row, <see cref="Even16"/> steps of 8 outputs and a last one placed to
    /// end at OW − 1, without <see cref="Gather"/>'s per-call set-up (SqueezeNet's 3 → 64 3×3/2 stem: 405 rows of 15
    /// outputs per image, where the set-up cost more than the shuffles). A row whose last step would read past
    /// <paramref name="xg"/> (the tensor's last rows) takes <see cref="Gather"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stride2Rows(ReadOnlySpan<float> xg, Span<float> dst, in Conv2DShape s, int ci, int kh, int dx, int oh0, int oh1)
    {
        int n = s.OW, plane = ci * s.H * s.W;
        ref float x0 = ref MemoryMarshal.GetReference(xg);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        for (int oh = oh0; oh < oh1; oh++)
        {
            ref float d = ref Unsafe.Add(ref d0, (oh - oh0) * n);
            int ih = (oh * s.SH) - s.PadTop + (kh * s.DH);
            if ((uint)ih >= (uint)s.H)
            {
                Simd.Fill(MemoryMarshal.CreateSpan(ref d, n), 0);
                continue;
            }

            int from = plane + (ih * s.W) + dx;
            if (xg.Length - from < 2 * n)
            {
                Gather(SimdLevel.Vector256, ref Unsafe.Add(ref x0, from), 2, ref d, n, xg.Length - from);
                continue;
            }

            // Steps read src[2j] … src[2j + 15]; the last, at j = n − 8, ends at src[2n − 1], which the check above allows.
            ref float src = ref Unsafe.Add(ref x0, from);
            int j = 0;
            for (; j + 8 <= n; j += 8)
            {
                Even16(ref src, ref d, j);
            }

            if (j < n)
            {
                Even16(ref src, ref d, n - 8);
            }
        }
    }

    /// <summary>
    /// Stride 1 and OW = W ("same" width, e.g. 3×3 pad 1): a col row is the input plane shifted by
    /// <c>dy·W + dx</c>, so it is one long copy, then the rows above/below the image and the columns that
    /// wrapped around an edge are zeroed. One copy per row instead of one short copy per output row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillShifted(ReadOnlySpan<float> xg, Span<float> col, in Conv2DShape s, int cg, int oh0, int oh1, int ld)
    {
        int p = (oh1 - oh0) * s.W, hw = s.H * s.W, row = 0, first = oh0 * s.W;
        for (int ci = 0; ci < cg; ci++)
        {
            ReadOnlySpan<float> plane = xg.Slice(ci * hw, hw);
            for (int kh = 0; kh < s.KH; kh++)
            {
                int dy = (kh * s.DH) - s.PadTop;

                // Output rows of this panel whose tap row is inside the image.
                int ohLo = Math.Clamp(-dy, oh0, oh1), ohHi = Math.Clamp(s.H - dy, ohLo, oh1);
                for (int kw = 0; kw < s.KW; kw++, row++)
                {
                    Span<float> dst = col.Slice(row * (ld > 0 ? ld : p), p);
                    int dx = (kw * s.DW) - s.PadLeft;
                    int owLo = Math.Clamp(-dx, 0, s.W), owHi = Math.Clamp(s.W - dx, owLo, s.W);
                    int t0 = ohLo * s.W, t1 = ohHi * s.W, shift = (dy * s.W) + dx;

                    // dst[t − first] = plane[t + shift] wherever that index exists; the wrapped columns are fixed below.
                    int a = Math.Clamp(-shift, t0, t1), b = Math.Clamp(hw - shift, a, t1);
                    Simd.Fill(dst[..(a - first)], 0);
                    Simd.Fill(dst[(b - first)..], 0);

                    // Nothing to copy when the whole row lies in the padding (a 1-row input under a 3-row window:
                    // then a + shift can be negative).
                    if (b > a)
                    {
                        Simd.Copy(plane.Slice(a + shift, b - a), dst[(a - first)..(b - first)]);
                    }

                    if (owLo > 0 || owHi < s.W)
                    {
                        ref float d = ref MemoryMarshal.GetReference(dst);
                        for (int oh = ohLo; oh < ohHi; oh++)
                        {
                            ZeroEdges(ref Unsafe.Add(ref d, (oh - oh0) * s.W), owLo, owHi, s.W);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Zeroes <c>row[..lo]</c> and <c>row[hi..w]</c> with scalar stores: the edges are a pad's width (1–3 floats), and a
    /// <c>Span.Clear</c> call per edge and output row cost more than the copies (mnist-8's 8 → 16 5×5 conv on 14×14:
    /// 4,480 calls, half of the conv's time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZeroEdges(ref float row, int lo, int hi, int w)
    {
        for (int i = 0; i < lo; i++)
        {
            Unsafe.Add(ref row, i) = 0;
        }

        for (int i = hi; i < w; i++)
        {
            Unsafe.Add(ref row, i) = 0;
        }
    }

    /// <summary>
    /// <c>dst[j] = src[j·stride]</c> for j &lt; n; reads nothing past <c>src[(n − 1)·stride]</c>, or with
    /// <paramref name="readable"/> ≥ 0 nothing past <c>src[readable − 1]</c> (the floats that exist from src on).
    /// </summary>
    /// <remarks>
    /// Stride 2 on AVX2 takes 8 outputs from 16 floats; its last 8 outputs are taken from the 8 ending at n − 1
    /// (recomputing a few), which reads one float past <c>src[2(n − 1)]</c>: given that float, a row of 9–15 outputs
    /// (SqueezeNet's 3×3/2 stem on 32×32, OW = 15) is two vector steps instead of one and up to 7 scalar copies.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Gather(SimdLevel level, ref float src, int stride, ref float dst, int n, int readable = -1)
    {
        GatherBody(level, ref src, stride, ref dst, n, readable);
    }

    // Gather's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherBody(SimdLevel level, ref float src, int stride, ref float dst, int n, int readable = -1)
    {
        int j = 0;
        if (stride == 2 && level == SimdLevel.Vector256 && Avx2.IsSupported)
        {
            readable = readable < 0 ? (2 * (n - 1)) + 1 : readable;
            for (; j + 8 <= n && (2 * j) + 16 <= readable; j += 8)
            {
                Even16(ref src, ref dst, j);
            }

            if (j < n && n >= 8 && (2 * (n - 8)) + 16 <= readable)
            {
                Even16(ref src, ref dst, n - 8);
                return;
            }
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref dst, j) = Unsafe.Add(ref src, j * stride);
        }
    }

    /// <summary>
    /// <c>dst[j…j+7] = src[2j], src[2j+2] … src[2j+14]</c>: vshufps takes floats 0, 2 of each 128-bit half of both loads
    /// (a0 a2 b0 b2 | a4 a6 b4 b6), and swapping the middle 64-bit pairs puts them in order (a0 a2 a4 a6 b0 b2 b4 b6).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Even16(ref float src, ref float dst, int j)
    {
        Vector256<float> a = Vector256.LoadUnsafe(ref src, (nuint)(2 * j));
        Vector256<float> b = Vector256.LoadUnsafe(ref src, (nuint)((2 * j) + 8));
        Simd.SwapMiddlePairs(Avx.Shuffle(a, b, 0b10_00_10_00)).StoreUnsafe(ref dst, (nuint)j);
    }
}
