using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>Which instructions the int8 × int8 product uses; tests run each one the machine has.</summary>
internal enum Int8Path
{
    /// <summary>Plain integer loops: the definition the others are checked against.</summary>
    Scalar,

    /// <summary>128-bit <c>pmaddubsw</c>/<c>pmaddwd</c> (<see cref="SignedByteDot"/>).</summary>
    Ssse3,

    /// <summary>256-bit <c>vpmaddubsw</c>/<c>vpmaddwd</c> (<see cref="SignedByteDot"/>).</summary>
    Avx2,

    /// <summary>256-bit <c>vpdpbusd</c> (<see cref="VnniByteDot"/>).</summary>
    AvxVnni,
}

/// <summary>
/// Fully connected layer on uint8 activation codes and int8 weight codes:
/// <c>y[r, j] = act(float(Σ_k (q[r,k] − zp)·w[j,k]) · (scale·wScale[j]) + bias[j])</c>, the sum exact in int32. The
/// zero point is taken out after the product through the weight row sums (<c>Σ (q − zp)·w = Σ q·w − zp·Σ w</c>),
/// which <see cref="WeightMatrix.Int8RowSums"/> computes once per process.
/// </summary>
internal static class Int8Dense
{
    /// <summary>The fastest path this machine has.</summary>
    public static Int8Path Best =>
        AvxVnni.IsSupported ? Int8Path.AvxVnni :
        Avx2.IsSupported ? Int8Path.Avx2 :
        Ssse3.IsSupported ? Int8Path.Ssse3 : Int8Path.Scalar;

    /// <summary>Whether <paramref name="path"/> runs here.</summary>
    public static bool IsSupported(Int8Path path) => path switch
    {
        Int8Path.AvxVnni => AvxVnni.IsSupported,
        Int8Path.Avx2 => Avx2.IsSupported,
        Int8Path.Ssse3 => Ssse3.IsSupported,
        _ => true,
    };

    /// <param name="path">The instructions to use (must be supported).</param>
    /// <param name="q">Activation codes, <c>rows × w.Cols</c>.</param>
    /// <param name="zeroPoint">The codes' zero point (0–255).</param>
    /// <param name="scale">The codes' scale: activation = (q − zeroPoint)·scale.</param>
    /// <param name="w">Int8 symmetric weights, <c>n × k</c>, one scale per row.</param>
    /// <param name="bias">n floats or empty.</param>
    /// <param name="act">The fused activation.</param>
    /// <param name="y">Outputs, <c>rows × n</c>.</param>
    /// <param name="rows">Input rows.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(Int8Path path, ReadOnlySpan<byte> q, int zeroPoint, float scale, WeightMatrix w, ReadOnlySpan<float> bias, Activation act, Span<float> y, int rows)
    {
        RunBody(path, q, zeroPoint, scale, w, bias, act, y, rows);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(Int8Path path, ReadOnlySpan<byte> q, int zeroPoint, float scale, WeightMatrix w, ReadOnlySpan<float> bias, Activation act, Span<float> y, int rows)
    {
        if (rows >= Int8Gemm.MinRows && Int8Gemm.Supports(path))
        {
            Int8Gemm.Run(path, q, zeroPoint, scale, w, bias, act, y, rows);
            return;
        }

        var sums = w.Int8RowSums();
        if (path is Int8Path.Avx2 or Int8Path.Ssse3 && sums.HasMinus128)
        {
            path = Int8Path.Scalar; // vpsignb cannot negate −128; the compressor's symmetric codes never hold it
        }

        var output = new Output(w.Scales, sums.Sums, bias, act, scale);
        switch (path)
        {
            case Int8Path.AvxVnni:
                Blocked<VnniByteDot>(wide: true, q, zeroPoint, w, output, y, rows);
                break;
            case Int8Path.Avx2:
                Blocked<SignedByteDot>(wide: true, q, zeroPoint, w, output, y, rows);
                break;
            case Int8Path.Ssse3:
                Blocked<SignedByteDot>(wide: false, q, zeroPoint, w, output, y, rows);
                break;
            default:
                Reference(q, zeroPoint, w, output, y, rows);
                break;
        }
    }

    /// <summary>The definition: one exact int32 sum per output.</summary>
    private static void Reference(ReadOnlySpan<byte> q, int zeroPoint, WeightMatrix w, Output output, Span<float> y, int rows)
    {
        int n = w.Rows, k = w.Cols;
        ReadOnlySpan<sbyte> codes = w.Int8;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                int dot = 0;
                for (int i = 0; i < k; i++)
                {
                    dot += (q[(r * k) + i] - zeroPoint) * codes[(j * k) + i];
                }

                y[(r * n) + j] = output.Apply(j, dot);
            }
        }
    }

    /// <summary>
    /// Four weight rows at a time, outermost, so they stay in L1 while every input row streams past them (the weights
    /// are the large operand: read from memory once per call); input rows in pairs, so each weight register loaded
    /// feeds two products.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Blocked<TDot>(bool wide, ReadOnlySpan<byte> q, int zeroPoint, WeightMatrix w, Output output, Span<float> y, int rows)
        where TDot : struct, IByteDot
    {
        BlockedBody<TDot>(wide, q, zeroPoint, w, output, y, rows);
    }

    // Blocked's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockedBody<TDot>(bool wide, ReadOnlySpan<byte> q, int zeroPoint, WeightMatrix w, Output output, Span<float> y, int rows)
        where TDot : struct, IByteDot
    {
        int n = w.Rows, k = w.Cols;
        int correction = TDot.Offset - zeroPoint; // Σ (q − zp)·w = Σ (q − Offset)·w + (Offset − zp)·Σ w
        ref byte x0 = ref MemoryMarshal.GetReference(q);
        ref sbyte w0 = ref MemoryMarshal.GetReference(w.Int8);
        if (wide && rows == 1 && k >= 32)
        {
            Gemv<TDot>(ref x0, ref w0, n, k, output, correction, y);
            return;
        }

        Span<int> dots = stackalloc int[8];
        int j = 0;
        for (; j <= n - 4; j += 4)
        {
            ref sbyte wj = ref Unsafe.Add(ref w0, (nint)j * k);
            int r = 0;
            for (; r <= rows - 2; r += 2)
            {
                ref byte xa = ref Unsafe.Add(ref x0, (nint)r * k);
                Dots4x2<TDot>(wide, ref xa, ref Unsafe.Add(ref xa, k), ref wj, k, dots);
                for (int i = 0; i < 4; i++)
                {
                    y[(r * n) + j + i] = output.Apply(j + i, dots[i], correction);
                    y[((r + 1) * n) + j + i] = output.Apply(j + i, dots[4 + i], correction);
                }
            }

            if (r < rows)
            {
                Dots4x1<TDot>(wide, ref Unsafe.Add(ref x0, (nint)r * k), ref wj, k, dots);
                for (int i = 0; i < 4; i++)
                {
                    y[(r * n) + j + i] = output.Apply(j + i, dots[i], correction);
                }
            }
        }

        for (; j < n; j++)
        {
            ref sbyte wj = ref Unsafe.Add(ref w0, (nint)j * k);
            for (int r = 0; r < rows; r++)
            {
                y[(r * n) + j] = output.Apply(j, Dot1<TDot>(wide, ref Unsafe.Add(ref x0, (nint)r * k), ref wj, k), correction);
            }
        }
    }

    /// <summary>Σ (x[i] − Offset)·w_m[i] for the four consecutive weight rows at <paramref name="w"/> into dots[0..3].</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Dots4x1<TDot>(bool wide, ref byte x, ref sbyte w, int k, Span<int> dots)
        where TDot : struct, IByteDot
    {
        Dots4x1Body<TDot>(wide, ref x, ref w, k, dots);
    }

    // Dots4x1's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots4x1Body<TDot>(bool wide, ref byte x, ref sbyte w, int k, Span<int> dots)
        where TDot : struct, IByteDot
    {
        ref sbyte w1 = ref Unsafe.Add(ref w, k);
        ref sbyte w2 = ref Unsafe.Add(ref w1, k);
        ref sbyte w3 = ref Unsafe.Add(ref w2, k);
        int i = 0;
        int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        if (wide)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= k - 32; i += 32)
            {
                Vector256<byte> qm = Vector256.LoadUnsafe(ref x, (nuint)i);
                var m = TDot.Magnitude256(qm);
                var s = TDot.Sign256(qm);
                a0 = TDot.Accumulate256(a0, m, s, Vector256.LoadUnsafe(ref w, (nuint)i));
                a1 = TDot.Accumulate256(a1, m, s, Vector256.LoadUnsafe(ref w1, (nuint)i));
                a2 = TDot.Accumulate256(a2, m, s, Vector256.LoadUnsafe(ref w2, (nuint)i));
                a3 = TDot.Accumulate256(a3, m, s, Vector256.LoadUnsafe(ref w3, (nuint)i));
            }

            (d0, d1, d2, d3) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        }

        {
            Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= k - 16; i += 16)
            {
                Vector128<byte> qm = Vector128.LoadUnsafe(ref x, (nuint)i);
                var m = TDot.Magnitude128(qm);
                var s = TDot.Sign128(qm);
                a0 = TDot.Accumulate128(a0, m, s, Vector128.LoadUnsafe(ref w, (nuint)i));
                a1 = TDot.Accumulate128(a1, m, s, Vector128.LoadUnsafe(ref w1, (nuint)i));
                a2 = TDot.Accumulate128(a2, m, s, Vector128.LoadUnsafe(ref w2, (nuint)i));
                a3 = TDot.Accumulate128(a3, m, s, Vector128.LoadUnsafe(ref w3, (nuint)i));
            }

            d0 += Vector128.Sum(a0);
            d1 += Vector128.Sum(a1);
            d2 += Vector128.Sum(a2);
            d3 += Vector128.Sum(a3);
        }

        for (; i < k; i++)
        {
            int xi = Unsafe.Add(ref x, i) - TDot.Offset;
            d0 += xi * Unsafe.Add(ref w, i);
            d1 += xi * Unsafe.Add(ref w1, i);
            d2 += xi * Unsafe.Add(ref w2, i);
            d3 += xi * Unsafe.Add(ref w3, i);
        }

        (dots[0], dots[1], dots[2], dots[3]) = (d0, d1, d2, d3);
    }

    /// <summary>As <see cref="Dots4x1"/> for two input rows: row <paramref name="xa"/> into dots[0..3], <paramref name="xb"/> into dots[4..7].</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Dots4x2<TDot>(bool wide, ref byte xa, ref byte xb, ref sbyte w, int k, Span<int> dots)
        where TDot : struct, IByteDot
    {
        Dots4x2Body<TDot>(wide, ref xa, ref xb, ref w, k, dots);
    }

    // Dots4x2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots4x2Body<TDot>(bool wide, ref byte xa, ref byte xb, ref sbyte w, int k, Span<int> dots)
        where TDot : struct, IByteDot
    {
        ref sbyte w1 = ref Unsafe.Add(ref w, k);
        ref sbyte w2 = ref Unsafe.Add(ref w1, k);
        ref sbyte w3 = ref Unsafe.Add(ref w2, k);
        int i = 0;
        Span<int> d = stackalloc int[8];
        if (wide)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            for (; i <= k - 32; i += 32)
            {
                Vector256<byte> qma = Vector256.LoadUnsafe(ref xa, (nuint)i);
                var ma = TDot.Magnitude256(qma);
                var sa = TDot.Sign256(qma);
                Vector256<byte> qmb = Vector256.LoadUnsafe(ref xb, (nuint)i);
                var mb = TDot.Magnitude256(qmb);
                var sb = TDot.Sign256(qmb);
                Vector256<sbyte> v = Vector256.LoadUnsafe(ref w, (nuint)i);
                a0 = TDot.Accumulate256(a0, ma, sa, v);
                b0 = TDot.Accumulate256(b0, mb, sb, v);
                v = Vector256.LoadUnsafe(ref w1, (nuint)i);
                a1 = TDot.Accumulate256(a1, ma, sa, v);
                b1 = TDot.Accumulate256(b1, mb, sb, v);
                v = Vector256.LoadUnsafe(ref w2, (nuint)i);
                a2 = TDot.Accumulate256(a2, ma, sa, v);
                b2 = TDot.Accumulate256(b2, mb, sb, v);
                v = Vector256.LoadUnsafe(ref w3, (nuint)i);
                a3 = TDot.Accumulate256(a3, ma, sa, v);
                b3 = TDot.Accumulate256(b3, mb, sb, v);
            }

            (d[0], d[1], d[2], d[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
            (d[4], d[5], d[6], d[7]) = (Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
        }
        else
        {
            d.Clear();
        }

        {
            Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            for (; i <= k - 16; i += 16)
            {
                Vector128<byte> qma = Vector128.LoadUnsafe(ref xa, (nuint)i);
                var ma = TDot.Magnitude128(qma);
                var sa = TDot.Sign128(qma);
                Vector128<byte> qmb = Vector128.LoadUnsafe(ref xb, (nuint)i);
                var mb = TDot.Magnitude128(qmb);
                var sb = TDot.Sign128(qmb);
                Vector128<sbyte> v = Vector128.LoadUnsafe(ref w, (nuint)i);
                a0 = TDot.Accumulate128(a0, ma, sa, v);
                b0 = TDot.Accumulate128(b0, mb, sb, v);
                v = Vector128.LoadUnsafe(ref w1, (nuint)i);
                a1 = TDot.Accumulate128(a1, ma, sa, v);
                b1 = TDot.Accumulate128(b1, mb, sb, v);
                v = Vector128.LoadUnsafe(ref w2, (nuint)i);
                a2 = TDot.Accumulate128(a2, ma, sa, v);
                b2 = TDot.Accumulate128(b2, mb, sb, v);
                v = Vector128.LoadUnsafe(ref w3, (nuint)i);
                a3 = TDot.Accumulate128(a3, ma, sa, v);
                b3 = TDot.Accumulate128(b3, mb, sb, v);
            }

            d[0] += Vector128.Sum(a0);
            d[1] += Vector128.Sum(a1);
            d[2] += Vector128.Sum(a2);
            d[3] += Vector128.Sum(a3);
            d[4] += Vector128.Sum(b0);
            d[5] += Vector128.Sum(b1);
            d[6] += Vector128.Sum(b2);
            d[7] += Vector128.Sum(b3);
        }

        for (; i < k; i++)
        {
            int xai = Unsafe.Add(ref xa, i) - TDot.Offset, xbi = Unsafe.Add(ref xb, i) - TDot.Offset;
            int v0 = Unsafe.Add(ref w, i), v1 = Unsafe.Add(ref w1, i), v2 = Unsafe.Add(ref w2, i), v3 = Unsafe.Add(ref w3, i);
            d[0] += xai * v0;
            d[1] += xai * v1;
            d[2] += xai * v2;
            d[3] += xai * v3;
            d[4] += xbi * v0;
            d[5] += xbi * v1;
            d[6] += xbi * v2;
            d[7] += xbi * v3;
        }

        d.CopyTo(dots);
    }

    // One input row's operands as TDot prepares them (magnitude, sign), per thread.
    [ThreadStatic]
    private static byte[]? t_prepared;

    /// <summary>
    /// One input row (batch 1) against all weight rows, 256-bit: the row's operands are prepared once per call
    /// (<see cref="IByteDot.Magnitude256"/> and <see cref="IByteDot.Sign256"/> into a per-thread buffer, 2·K bytes
    /// that stay in L1) instead of once per block of weight rows, and each block of 4 rows is reduced to its 4 sums
    /// with 3 horizontal adds instead of 4 separate ones, and the next block's rows are prefetched. The int32 sums are
    /// the same as <see cref="Dots4x1"/>'s.
    /// </summary>
    // Weight rows stream from L3 (or memory), and each row is only K bytes: too short for the hardware prefetcher to
    // get ahead. Prefetching the next block of 4 rows while this one runs: wide MLP int8-act batch 1 72 → 64 µs
    // (Zen 3, interleaved A/B; 2 blocks ahead 65, 4 ahead 69).
    private const int PrefetchBlocks = 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Gemv<TDot>(ref byte x, ref sbyte w0, int n, int k, Output output, int correction, Span<float> y)
        where TDot : struct, IByteDot
    {
        GemvBody<TDot>(ref x, ref w0, n, k, output, correction, y);
    }

    // Gemv's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GemvBody<TDot>(ref byte x, ref sbyte w0, int n, int k, Output output, int correction, Span<float> y)
        where TDot : struct, IByteDot
    {
        int k32 = k & ~31;
        Span<byte> prepared = ThreadScratch.Get(ref t_prepared, 2 * k32);
        ref byte m = ref MemoryMarshal.GetReference(prepared);
        ref sbyte sg = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref m, k32));
        for (int i = 0; i < k32; i += 32)
        {
            Vector256<byte> q = Vector256.LoadUnsafe(ref x, (nuint)i);
            TDot.Magnitude256(q).StoreUnsafe(ref m, (nuint)i);
            TDot.Sign256(q).StoreUnsafe(ref sg, (nuint)i);
        }

        int j = 0;
        for (; j <= n - 4; j += 4)
        {
            ref sbyte w = ref Unsafe.Add(ref w0, (nint)j * k);
            ref sbyte w1 = ref Unsafe.Add(ref w, k);
            ref sbyte w2 = ref Unsafe.Add(ref w1, k);
            ref sbyte w3 = ref Unsafe.Add(ref w2, k);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            byte* ahead = (byte*)Unsafe.AsPointer(ref w) + (PrefetchBlocks * 4 * (nint)k);
            for (int i = 0; i < k32; i += 32)
            {
                Sse.Prefetch0(ahead + (4 * i));
                Sse.Prefetch0(ahead + (4 * i) + 64);
                Vector256<byte> mi = Vector256.LoadUnsafe(ref m, (nuint)i);
                Vector256<sbyte> si = Vector256.LoadUnsafe(ref sg, (nuint)i);
                a0 = TDot.Accumulate256(a0, mi, si, Vector256.LoadUnsafe(ref w, (nuint)i));
                a1 = TDot.Accumulate256(a1, mi, si, Vector256.LoadUnsafe(ref w1, (nuint)i));
                a2 = TDot.Accumulate256(a2, mi, si, Vector256.LoadUnsafe(ref w2, (nuint)i));
                a3 = TDot.Accumulate256(a3, mi, si, Vector256.LoadUnsafe(ref w3, (nuint)i));
            }

            // [a0, a1, a2, a3] lane sums: hadd pairs twice, then add the two 128-bit halves.
            Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
            Vector128<int> sums = h.GetLower() + h.GetUpper();
            for (int i = k32; i < k; i++)
            {
                int xi = Unsafe.Add(ref x, i) - TDot.Offset;
                sums += Vector128.Create(xi * Unsafe.Add(ref w, i), xi * Unsafe.Add(ref w1, i), xi * Unsafe.Add(ref w2, i), xi * Unsafe.Add(ref w3, i));
            }

            output.Apply4(j, sums, correction).CopyTo(y[j..]);
        }

        for (; j < n; j++)
        {
            y[j] = output.Apply(j, Dot1<TDot>(wide: true, ref x, ref Unsafe.Add(ref w0, (nint)j * k), k), correction);
        }
    }

    /// <summary>Σ (x[i] − Offset)·w[i] for one weight row (the last n mod 4 rows).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Dot1<TDot>(bool wide, ref byte x, ref sbyte w, int k)
        where TDot : struct, IByteDot
    {
        return Dot1Body<TDot>(wide, ref x, ref w, k);
    }

    // Dot1's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot1Body<TDot>(bool wide, ref byte x, ref sbyte w, int k)
        where TDot : struct, IByteDot
    {
        int i = 0, dot = 0;
        if (wide)
        {
            Vector256<int> a = default;
            for (; i <= k - 32; i += 32)
            {
                Vector256<byte> qm = Vector256.LoadUnsafe(ref x, (nuint)i);
                var m = TDot.Magnitude256(qm);
                var s = TDot.Sign256(qm);
                a = TDot.Accumulate256(a, m, s, Vector256.LoadUnsafe(ref w, (nuint)i));
            }

            dot = Vector256.Sum(a);
        }

        Vector128<int> b = default;
        for (; i <= k - 16; i += 16)
        {
            Vector128<byte> qm = Vector128.LoadUnsafe(ref x, (nuint)i);
            var m = TDot.Magnitude128(qm);
            var s = TDot.Sign128(qm);
            b = TDot.Accumulate128(b, m, s, Vector128.LoadUnsafe(ref w, (nuint)i));
        }

        dot += Vector128.Sum(b);
        for (; i < k; i++)
        {
            dot += (Unsafe.Add(ref x, i) - TDot.Offset) * Unsafe.Add(ref w, i);
        }

        return dot;
    }

    /// <summary>
    /// The epilogue: the exact integer sum to float (one rounding, as ONNX's Cast), times the activation scale times
    /// the row's weight scale (multiplied first, as the compressed .onnx's Mul of the two scales), plus the bias, then
    /// the activation. No FMA, so it rounds as ONNX Runtime's separate Mul and Add do.
    /// </summary>
    private readonly ref struct Output(ReadOnlySpan<float> weightScales, ReadOnlySpan<int> rowSums, ReadOnlySpan<float> bias, Activation act, float scale)
    {
        private readonly ReadOnlySpan<float> _weightScales = weightScales;
        private readonly ReadOnlySpan<int> _rowSums = rowSums;
        private readonly ReadOnlySpan<float> _bias = bias;
        private readonly bool _relu = act == Activation.Relu;
        private readonly float _scale = scale;

        /// <summary>The output for an exact sum <paramref name="dot"/> = Σ (q − zp)·w.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(int j, int dot)
        {
            float v = dot * (_scale * _weightScales[j]);
            if (!_bias.IsEmpty)
            {
                v += _bias[j];
            }

            return _relu ? Simd.Relu(v) : v;
        }

        /// <summary>
        /// Outputs j … j + 3 from their sums <c>Σ (q − Offset)·w</c>: the same operations in the same order as
        /// <see cref="Apply(int, int, int)"/> lane by lane (so the same bits), ReLU as a select that keeps NaN.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Apply4(int j, Vector128<int> dots, int correction)
        {
            Vector128<int> exact = dots + (Vector128.Create(correction) * Vector128.Create(_rowSums.Slice(j, 4)));
            Vector128<float> v = Vector128.ConvertToSingle(exact) * (Vector128.Create(_scale) * Vector128.Create(_weightScales.Slice(j, 4)));
            if (!_bias.IsEmpty)
            {
                v += Vector128.Create(_bias.Slice(j, 4));
            }

            return _relu ? Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), Vector128<float>.Zero, v) : v;
        }

        /// <summary>The output for <c>dot = Σ (q − Offset)·w</c> with <paramref name="correction"/> = Offset − zp.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(int j, int dot, int correction) => Apply(j, dot + (correction * _rowSums[j]));
    }
}
