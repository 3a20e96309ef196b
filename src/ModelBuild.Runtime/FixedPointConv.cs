using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Pointwise convolutions (1×1, stride 1, unpadded, group 1) with int8 per-channel symmetric weights on float32
/// activations, in integers, AVX2 + FMA without AVX-512: <c>y[j, p] = ep(scale_j · Σ_k q[j, k]·x̂[k, p])</c>. The input is
/// rounded per call as <see cref="FixedPointInputs.Quantize(ReadOnlySpan{float}, Span{short}, Span{float})"/> rounds a
/// Dense row, with the block running over channels: each pixel gets one power-of-two step per 256 input channels, from
/// its largest |x| there, so |x − x̂| ≤ 2^−15 of that value. A 6-channel × 16-pixel register tile multiplies pairs of
/// channels with <c>vpmaddwd</c> (16 multiply-adds per instruction, an FMA does 8; AVX-VNNI: <c>vpdpwssd</c>), the
/// weight pair broadcast and the 16 pixels' pairs loaded, and the sums are exact in int32 within a block
/// (|Σ| ≤ 256 · 128 · 32768 = 2^30), as in the batched Dense kernel (<see cref="FixedPointGemm"/>), whose tile this
/// one transposes.
/// </summary>
/// <remarks>
/// Per 16-pixel column the input's C channels are rounded into an L1 scratch of pairs <c>[C/2][16][2]</c> (an odd last
/// channel paired with 0) and then every tile of the call's channel range reads it; a column past the last whole 16
/// is placed to end at the last pixel and recomputes a few outputs the same way. The weights become int16 pairs
/// (<see cref="WeightMatrix.FixedPointConvPairs"/>, 2 bytes per weight, made once per process). Each output is computed
/// from its own pixel's and channel's operands only, so a split of the channels over threads, or a column placed
/// differently, gives the same bits, and so does <see cref="Reference"/>. An input holding a NaN, an infinity or a value of
/// magnitude ≥ 2^100 goes to the float path (which propagates them, and does not overflow where this path's unscaled
/// sums would); outputs already written are then overwritten.
/// </remarks>
internal static class FixedPointConv
{
    private const int Mr = 6;
    private const int Width = 16;
    private const int BlockSize = FixedPointInputs.BlockSize;

    /// <summary>Smallest block exponent (<see cref="FixedPointInputs.MinExponent"/>): the step 2^(e − 14) and 2^(14 − e) stay normal floats.</summary>
    private const int MinExponent = FixedPointInputs.MinExponent;

    [ThreadStatic]
    private static short[]? t_pairs;

    [ThreadStatic]
    private static float[]? t_steps;

    [ThreadStatic]
    private static float[]? t_column;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Whether the path may run at all (a switch for tests and the benchmarks' A/B).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether a conv of shape <paramref name="s"/> over <paramref name="w"/> takes this path on this machine.</summary>
    /// <remarks>
    /// Not with AVX-512 on: there a 512-bit FMA does as many multiply-adds as this tile's 256-bit <c>vpmaddwd</c>, and the
    /// batched Dense kernel lost to the 512-bit float tile (<see cref="FixedPointGemm.Applies"/>).
    /// </remarks>
    public static bool Applies(SimdLevel level, in Conv2DShape s, WeightMatrix w) =>
        Enabled && level == SimdLevel.Vector256 && Avx2.IsSupported && Fma.IsSupported && !Wide512.Enabled
        && w.Format == WeightFormat.Int8 && w.ZeroPoints.IsEmpty && w.Direct is null && w.Sparse is null && w.Half is null
        && s.Group == 1 && Kernels.IsPointwise(s) && s.OH * s.OW >= Width && w.Rows == s.OC && w.Cols == s.C
        && s.C >= MinInputChannels && s.OC >= MinOutputChannels;

    /// <summary>
    /// Fewest input channels taken. Rounding a column costs a pass over its C channels whatever OC is, and each tile's
    /// epilogue converts and scales its 12 vectors whatever C is, so narrow convs lose to the float tiles (`quick
    /// pointwise`, AVX-512 off, 2026-12-05, integer / float: 24 → 24 on 64² 1.13–1.26, 16 → 32 on 128² 1.39–1.47, 36 → 42
    /// on 32² 1.00–1.15; 48 → 48 on 64² 0.85, 64 → 32 on 64² 0.88, 96 → 96 on 32² 0.71–0.80, 192 → 192 on 16² 0.56–0.63,
    /// 384 → 384 on 8² 0.50–0.62).
    /// </summary>
    internal const int MinInputChannels = 40;

    /// <summary>Fewest output channels taken (128 → 24 on 32²: 1.11; 128 → 48: 0.74): see <see cref="MinInputChannels"/>.</summary>
    internal const int MinOutputChannels = 32;

    /// <summary>
    /// One image: output channels [<paramref name="j0"/>, j0 + <paramref name="m"/>) of <paramref name="y"/>
    /// (<c>OC × P</c>, row j at j·P) from <paramref name="x"/> (<c>C × P</c>).
    /// </summary>
    /// <param name="x">The image, C planes of P = H·W floats.</param>
    /// <param name="w">Int8 symmetric weights, <c>OC × C</c>.</param>
    /// <param name="y">The image's outputs, OC planes of P floats (row j0 first is written at j0·P).</param>
    /// <param name="s">The conv's shape (<see cref="Applies"/> true).</param>
    /// <param name="j0">First output channel.</param>
    /// <param name="m">Output channels.</param>
    /// <param name="ep">Bias, activation and residual (no scales: this kernel applies the weights' own).</param>
    /// <returns>False when x holds a NaN, an infinity or a magnitude ≥ 2^100 (some outputs may be written; the caller runs the float path).</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Run(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, in Conv2DShape s, int j0, int m, in Epilogue ep)
    {
        int k = s.C, p = s.OH * s.OW;
        Check.AtLeast(x.Length, (long)k * p, nameof(x), "C × H × W");
        Check.AtLeast(y.Length, (long)(j0 + m) * p, nameof(y), "OC × OH × OW");
        int[] weights = w.FixedPointConvPairs();
        bool vnni = VnniSwitch.Use((long)m * k * p);
        return vnni ? RunVnni(x, weights, w.Scales, y, k, p, j0, m, ep) : Columns(x, weights, w.Scales, y, k, p, j0, m, ep, vnni: false);
    }

    /// <summary>
    /// As <see cref="Run"/> on up to <paramref name="threads"/> threads, each part a range of whole 6-channel blocks
    /// rounding the input for itself (a C·P pass beside its OC·C·P / parts multiply-adds).
    /// </summary>
    /// <returns>False when the call does not split (then nothing is done), or when x holds a NaN or an infinity.</returns>
    public static unsafe bool RunSplit(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, in Conv2DShape s, Activation act, int threads)
    {
        int k = s.C, p = s.OH * s.OW, units = (s.OC + Mr - 1) / Mr;
        int parts = IntraOp.SplitParts(threads, 2.0 * s.OC * p * k, units);
        if (parts <= 1)
        {
            return false;
        }

        Check.AtLeast(x.Length, (long)k * p, nameof(x), "C × H × W");
        Check.AtLeast(y.Length, (long)s.OC * p, nameof(y), "OC × OH × OW");
        int[] weights = w.FixedPointConvPairs();
        fixed (float* px = x, pb = bias, py = y)
        {
            var job = t_job ??= new Job();
            job.Set(s, act, units, px, pb, bias.Length, py, w, weights);
            IntraOp.Run(job, parts, threads);
            bool finite = job.Finite;
            job.Set(default, Activation.None, 0, null, null, 0, null, null, null);
            return finite;
        }
    }

    /// <summary>A split call's operands (pinned by <see cref="RunSplit"/> for the call).</summary>
    private sealed unsafe class Job : IntraOp.IWork
    {
        private Conv2DShape _s;
        private Activation _act;
        private int _units, _biasLength;
        private float* _x, _bias, _y;
        private WeightMatrix? _w;
        private int[]? _weights;
        private int _nonFinite;

        public bool Finite => Volatile.Read(ref _nonFinite) == 0;

        public void Set(in Conv2DShape s, Activation act, int units, float* x, float* bias, int biasLength, float* y, WeightMatrix? w, int[]? weights)
        {
            (_s, _act, _units, _biasLength, _nonFinite) = (s, act, units, biasLength, 0);
            _x = x;
            _bias = bias;
            _y = y;
            (_w, _weights) = (w, weights);
        }

        public void Run(int part, int parts)
        {
            int k = _s.C, p = _s.OH * _s.OW;
            int c0 = Math.Min(_s.OC, _units * part / parts * Mr), c1 = Math.Min(_s.OC, _units * (part + 1) / parts * Mr);
            if (c1 <= c0)
            {
                return;
            }

            var ep = new Epilogue(new ReadOnlySpan<float>(_bias, _biasLength), _act);
            var x = new ReadOnlySpan<float>(_x, k * p);
            var y = new Span<float>(_y, _s.OC * p);
            bool vnni = VnniSwitch.Use((long)(c1 - c0) * k * p);
            bool finite = vnni ? RunVnni(x, _weights!, _w!.Scales, y, k, p, c0, c1 - c0, ep) : Columns(x, _weights!, _w!.Scales, y, k, p, c0, c1 - c0, ep, vnni: false);
            if (!finite)
            {
                Interlocked.Exchange(ref _nonFinite, 1);
            }
        }
    }

    /// <summary>Weight pairs <c>[OC][⌈C/2⌉]</c>: q[j, 2i] in the low 16 bits, q[j, 2i + 1] (or 0) in the high 16, ready to broadcast.</summary>
    internal static int[] Pairs(WeightMatrix w)
    {
        int n = w.Rows, k = w.Cols, half = (k + 1) / 2;
        ReadOnlySpan<sbyte> q = w.Int8;
        var pairs = new int[n * half];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < half; i++)
            {
                int lo = q[(j * k) + (2 * i)], hi = (2 * i) + 1 < k ? q[(j * k) + (2 * i) + 1] : 0;
                pairs[(j * half) + i] = (ushort)(short)lo | (hi << 16);
            }
        }

        return pairs;
    }

    /// <summary><see cref="Columns"/> through AVX-VNNI (<see cref="VnniSwitch"/>): <c>vpdpwssd</c> for each <c>vpmaddwd</c> and its add, the same sums.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool RunVnni(ReadOnlySpan<float> x, int[] weights, ReadOnlySpan<float> scales, Span<float> y, int k, int p, int j0, int m, in Epilogue ep) =>
        Columns(x, weights, scales, y, k, p, j0, m, ep, vnni: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Columns(
        ReadOnlySpan<float> x, int[] weights, ReadOnlySpan<float> scales, Span<float> y, int k, int p, int j0, int m, in Epilogue ep, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        int half = (k + 1) / 2, blocks = FixedPointInputs.Blocks(k);
        Span<short> pairs = ThreadScratch.Get(ref t_pairs, half * 2 * Width);
        Span<float> steps = ThreadScratch.Get(ref t_steps, blocks * Width);
        ref float column = ref MemoryMarshal.GetReference(ThreadScratch.Get(ref t_column, k * Width));
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref int w0 = ref MemoryMarshal.GetArrayDataReference(weights);
        ref float scale0 = ref MemoryMarshal.GetReference(scales);
        for (int px = 0; px < p; px += Width)
        {
            // The last column ends at the last pixel (p ≥ 16): its first pixels repeat the previous column's outputs exactly.
            int at = Math.Min(px, p - Width);
            if (!RoundColumn(ref Unsafe.Add(ref x0, at), k, p, pairs, steps, ref column))
            {
                return false;
            }

            for (int jb = 0; jb < m; jb += Mr)
            {
                int live = Math.Min(Mr, m - jb), j = j0 + jb;
                for (int b = 0, c0 = 0; c0 < k; b++, c0 += BlockSize)
                {
                    int pairCount = (Math.Min(BlockSize, k - c0) + 1) / 2;
                    var tile = new TileArgs(
                        ref Unsafe.Add(ref w0, (nint)j * half + (c0 / 2)), half, live, ref Unsafe.Add(ref MemoryMarshal.GetReference(pairs), c0 * Width), pairCount,
                        ref steps[b * Width], ref Unsafe.Add(ref scale0, j), ref Unsafe.Add(ref y0, ((nint)j * p) + at), p, b == 0, c0 + BlockSize >= k);
                    Tile(tile, j, ep, vnni);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The 16 pixels from <paramref name="x"/> (channel c at c·<paramref name="p"/>) rounded per 256-channel block into
    /// <paramref name="pairs"/> (<c>[C/2][16][2]</c>) and <paramref name="steps"/> (<c>[blocks][16]</c>).
    /// </summary>
    /// <returns>False when one of them is a NaN, an infinity or of magnitude ≥ 2^100.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RoundColumn(ref float x, int k, int p, Span<short> pairs, Span<float> steps, ref float column)
    {
        var magnitude = Vector256.Create(0x7FFF_FFFF);
        ref short dst = ref MemoryMarshal.GetReference(pairs);
        for (int b = 0, c0 = 0; c0 < k; b++, c0 += BlockSize)
        {
            int end = Math.Min(k, c0 + BlockSize);
            Vector256<int> max0 = Vector256<int>.Zero, max1 = Vector256<int>.Zero;
            for (int c = c0; c < end; c++)
            {
                // The rows are p floats apart (with p a multiple of 1024 they all fall in the same L1 sets), so the
                // rounding below reads this contiguous copy of the column.
                ref float row = ref Unsafe.Add(ref x, (nint)c * p);
                Vector256<float> lo = Vector256.LoadUnsafe(ref row), hi = Vector256.LoadUnsafe(ref row, 8);
                lo.StoreUnsafe(ref column, (nuint)(c * Width));
                hi.StoreUnsafe(ref column, (nuint)((c * Width) + 8));
                max0 = Vector256.Max(max0, lo.AsInt32() & magnitude);
                max1 = Vector256.Max(max1, hi.AsInt32() & magnitude);
            }

            // NaN, ±∞ and magnitudes from 2^100 on (FixedPointInputs.HugeBits: sum·step could overflow before the scale).
            var huge = Vector256.Create(FixedPointInputs.HugeBits);
            if (Vector256.GreaterThanOrEqualAny(max0, huge) || Vector256.GreaterThanOrEqualAny(max1, huge))
            {
                return false;
            }

            // Per pixel e = max(exponent of its largest |x|, −112): step 2^(e − 14), and 2^(14 − e) to round with.
            Vector256<int> e0 = Vector256.Max(Vector256.ShiftRightLogical(max0, 23) - Vector256.Create(127), Vector256.Create(MinExponent));
            Vector256<int> e1 = Vector256.Max(Vector256.ShiftRightLogical(max1, 23) - Vector256.Create(127), Vector256.Create(MinExponent));
            Vector256.ShiftLeft(e0 + Vector256.Create(127 - 14), 23).AsSingle().StoreUnsafe(ref steps[b * Width]);
            Vector256.ShiftLeft(e1 + Vector256.Create(127 - 14), 23).AsSingle().StoreUnsafe(ref steps[(b * Width) + 8]);
            Vector256<float> up0 = Vector256.ShiftLeft(Vector256.Create(127 + 14) - e0, 23).AsSingle();
            Vector256<float> up1 = Vector256.ShiftLeft(Vector256.Create(127 + 14) - e1, 23).AsSingle();
            for (int c = c0; c < end; c += 2)
            {
                ref float a = ref Unsafe.Add(ref column, c * Width);
                Vector256<int> a0 = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref a) * up0);
                Vector256<int> a1 = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref a, 8) * up1);
                Vector256<int> b0 = Vector256<int>.Zero, b1 = Vector256<int>.Zero;
                if (c + 1 < end)
                {
                    b0 = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref a, Width) * up0);
                    b1 = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref a, Width + 8) * up1);
                }

                ref short to = ref Unsafe.Add(ref dst, c * Width);
                Interleave(a0, b0).StoreUnsafe(ref to);
                Interleave(a1, b1).StoreUnsafe(ref to, 16);
            }
        }

        return true;
    }

    /// <summary>
    /// Two channels' codes of 8 pixels as int16 pairs in pixel order: <c>vpackssdw</c> saturates and gives
    /// [a0–a3, b0–b3 | a4–a7, b4–b7]; a byte shuffle within each 128-bit lane interleaves them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Interleave(Vector256<int> a, Vector256<int> b)
    {
        Vector256<short> packed = Avx2.PackSignedSaturate(a, b);
        var order = Vector256.Create((byte)0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
        return Avx2.Shuffle(packed.AsByte(), order).AsInt16();
    }

    /// <summary>One tile's operands: weight pairs of its channels (rows <c>Pitch</c> ints apart), the column's pairs and steps for its block, and its outputs.</summary>
    private readonly ref struct TileArgs
    {
        public readonly ref int Weights;
        public readonly int Pitch;
        public readonly int Live;
        public readonly ref short Pairs;
        public readonly int PairCount;
        public readonly ref float Steps;
        public readonly ref float Scales;
        public readonly ref float Y;
        public readonly int P;
        public readonly bool First;
        public readonly bool Last;

        public TileArgs(ref int weights, int pitch, int live, ref short pairs, int pairCount, ref float steps, ref float scales, ref float y, int p, bool first, bool last)
        {
            Weights = ref weights;
            Pairs = ref pairs;
            Steps = ref steps;
            Scales = ref scales;
            Y = ref y;
            (Pitch, Live, PairCount, P, First, Last) = (pitch, live, pairCount, p, first, last);
        }
    }

    /// <summary>c + a·b per int32 lane over int16 pairs (the loaded pixels first: see <see cref="FixedPointGemm"/>'s note on .NET 10's JIT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MultiplyAdd(Vector256<int> c, Vector256<short> pixels, Vector256<short> weight, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni) =>
        vnni ? AvxVnni.MultiplyWideningAndAdd(c, pixels, weight) : c + Avx2.MultiplyAddAdjacent(pixels, weight);

    /// <summary>
    /// Channels j … j + Live − 1 × 16 pixels over one 256-channel block: exact int32 sums, then per output
    /// <c>v = sum·step (+ y from the earlier blocks)</c>, and on the last block <c>ep(v·scale_j)</c>. Channels past Live
    /// repeat the last live one and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(in TileArgs t, int j, in Epilogue ep, [System.Diagnostics.CodeAnalysis.ConstantExpected] bool vnni)
    {
        ref int w0 = ref t.Weights;
        ref int w1 = ref Unsafe.Add(ref w0, t.Live > 1 ? t.Pitch : 0);
        ref int w2 = ref Unsafe.Add(ref w0, t.Live > 2 ? 2 * t.Pitch : 0);
        ref int w3 = ref Unsafe.Add(ref w0, t.Live > 3 ? 3 * t.Pitch : 0);
        ref int w4 = ref Unsafe.Add(ref w0, t.Live > 4 ? 4 * t.Pitch : 0);
        ref int w5 = ref Unsafe.Add(ref w0, t.Live > 5 ? 5 * t.Pitch : 0);
        ref short x = ref t.Pairs;
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int i = 0; i < t.PairCount; i++)
        {
            Vector256<short> a = Vector256.LoadUnsafe(ref x, (nuint)(i * 2 * Width));
            Vector256<short> b = Vector256.LoadUnsafe(ref x, (nuint)((i * 2 * Width) + Width));
            Vector256<short> q = Vector256.Create(Unsafe.Add(ref w0, i)).AsInt16();
            c00 = MultiplyAdd(c00, a, q, vnni);
            c01 = MultiplyAdd(c01, b, q, vnni);
            q = Vector256.Create(Unsafe.Add(ref w1, i)).AsInt16();
            c10 = MultiplyAdd(c10, a, q, vnni);
            c11 = MultiplyAdd(c11, b, q, vnni);
            q = Vector256.Create(Unsafe.Add(ref w2, i)).AsInt16();
            c20 = MultiplyAdd(c20, a, q, vnni);
            c21 = MultiplyAdd(c21, b, q, vnni);
            q = Vector256.Create(Unsafe.Add(ref w3, i)).AsInt16();
            c30 = MultiplyAdd(c30, a, q, vnni);
            c31 = MultiplyAdd(c31, b, q, vnni);
            q = Vector256.Create(Unsafe.Add(ref w4, i)).AsInt16();
            c40 = MultiplyAdd(c40, a, q, vnni);
            c41 = MultiplyAdd(c41, b, q, vnni);
            q = Vector256.Create(Unsafe.Add(ref w5, i)).AsInt16();
            c50 = MultiplyAdd(c50, a, q, vnni);
            c51 = MultiplyAdd(c51, b, q, vnni);
        }

        Vector256<float> step0 = Vector256.LoadUnsafe(ref t.Steps), step1 = Vector256.LoadUnsafe(ref t.Steps, 8);
        Row(t, ep, j, 0, c00, c01, step0, step1);
        if (t.Live > 1)
        {
            Row(t, ep, j + 1, 1, c10, c11, step0, step1);
        }

        if (t.Live > 2)
        {
            Row(t, ep, j + 2, 2, c20, c21, step0, step1);
        }

        if (t.Live > 3)
        {
            Row(t, ep, j + 3, 3, c30, c31, step0, step1);
        }

        if (t.Live > 4)
        {
            Row(t, ep, j + 4, 4, c40, c41, step0, step1);
        }

        if (t.Live > 5)
        {
            Row(t, ep, j + 5, 5, c50, c51, step0, step1);
        }
    }

    /// <summary>One channel's 16 outputs: the block's sums scaled by the pixels' steps into y, finished on the last block (residual loads before the stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(in TileArgs t, in Epilogue ep, int j, int r, Vector256<int> lo, Vector256<int> hi, Vector256<float> step0, Vector256<float> step1)
    {
        ref float y = ref Unsafe.Add(ref t.Y, (nint)r * t.P);
        Vector256<float> v0 = Avx.ConvertToVector256Single(lo), v1 = Avx.ConvertToVector256Single(hi);
        v0 = t.First ? v0 * step0 : Fma.MultiplyAdd(v0, step0, Vector256.LoadUnsafe(ref y));
        v1 = t.First ? v1 * step1 : Fma.MultiplyAdd(v1, step1, Vector256.LoadUnsafe(ref y, 8));
        if (t.Last)
        {
            var scale = Vector256.Create(Unsafe.Add(ref t.Scales, r));
            v0 *= scale;
            v1 *= scale;
            ep.AddResidual(j, ref v0, ref y);
            ep.AddResidual(j, ref v1, ref y, 8);
            ep.Store(j, v0, ref y);
            ep.Store(j, v1, ref y, 8);
            return;
        }

        v0.StoreUnsafe(ref y);
        v1.StoreUnsafe(ref y, 8);
    }

    /// <summary>
    /// The definition the kernel is tested against, in plain loops: each pixel's C inputs rounded as a Dense row is
    /// (<see cref="FixedPointInputs.Quantize(ReadOnlySpan{float}, Span{short}, Span{float})"/>: one step per 256 channels),
    /// an exact integer dot product per block accumulated as <c>v = dot·step</c>, then <c>fma(dot, step, v)</c>, then
    /// <c>v·scale_j</c> and the epilogue's <c>act(v + bias_j)</c> (no residual).
    /// </summary>
    /// <exception cref="ArgumentException">A pixel's inputs hold a NaN, an infinity or a magnitude ≥ 2^100 (the kernel leaves those to the float tiles).</exception>
    internal static void Reference(ReadOnlySpan<float> x, WeightMatrix w, ReadOnlySpan<float> bias, Span<float> y, int k, int p, Activation act)
    {
        int n = w.Rows;
        ReadOnlySpan<sbyte> q = w.Int8;
        var column = new float[k];
        var codes = new short[k];
        var steps = new float[FixedPointInputs.Blocks(k)];
        for (int px = 0; px < p; px++)
        {
            for (int c = 0; c < k; c++)
            {
                column[c] = x[(c * p) + px];
            }

            if (!FixedPointInputs.Quantize(column, codes, steps))
            {
                throw new ArgumentException($"pixel {px} holds a NaN, an infinity or a magnitude ≥ 2^100", nameof(x));
            }

            for (int j = 0; j < n; j++)
            {
                float v = 0;
                for (int b = 0, c0 = 0; c0 < k; b++, c0 += BlockSize)
                {
                    int dot = 0;
                    for (int c = c0; c < Math.Min(k, c0 + BlockSize); c++)
                    {
                        dot += codes[c] * q[(j * k) + c];
                    }

                    v = b == 0 ? dot * steps[b] : MathF.FusedMultiplyAdd(dot, steps[b], v);
                }

                v *= w.Scales[j];
                v += bias.IsEmpty ? 0 : bias[j];
                y[(j * p) + px] = act == Activation.Relu ? Simd.Relu(v) : v;
            }
        }
    }
}
