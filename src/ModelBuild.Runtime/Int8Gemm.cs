using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="Int8Dense"/> over a batch (≥ <see cref="MinRows"/> rows) as a packed GEMM with register tiles, the
/// int8 counterpart of <see cref="DenseGemm"/>: <c>y[r, j] = act(float(Σ_k (q[r,k] − zp)·w[j,k]) · (s·wScale[j]) + bias[j])</c>,
/// the sum exact in int32. Weights are repacked once per process (<see cref="WeightMatrix.PackedInt8"/>, int8, 1 byte per
/// weight) into panels of <see cref="Nr"/> channels, <c>panel[k/4][16][4]</c>: one 256-bit register holds 8 channels × 4
/// consecutive k, the operand order of <c>vpdpbusd</c>, so a tile broadcasts 4 activation bytes per row and needs no
/// horizontal sums. Each panel (K/4 × 64 bytes: 16 KB at K = 1024) stays in L1 while every row block passes over it;
/// the sums stay in registers over all of K and the epilogue (zero-point correction, scale, bias, ReLU) is vectorised
/// and runs once per output, so results do not depend on the row count or the blocking.
/// </summary>
/// <remarks>
/// Paths (<see cref="Int8Path"/>): AVX-VNNI 6 rows × 16 channels, <c>vpdpbusd</c> on the uint8 codes, zero point taken
/// out through the weight row sums; AVX2 6 × 8 and SSE4.1 6 × 4 on int16 <c>q − zp</c> (widened once per call) with
/// <c>vpmaddwd</c> against the weights sign-extended in registers: each pair is at most 2·255·128 = 65280, so there is
/// no saturating int16 step (the <c>vpmaddubsw</c> form needs <c>vpsignb</c> per row and weight register, as many
/// instructions per product, and cannot take a −128 weight). Scalar: <see cref="Int8Dense"/>'s definition.
/// </remarks>
internal static class Int8Gemm
{
    /// <summary>Input rows from which the packed GEMM runs; fewer keep <see cref="Int8Dense"/>'s dot products.</summary>
    public const int MinRows = 4;

    /// <summary>Output channels per packed panel.</summary>
    public const int Nr = 16;

    [ThreadStatic]
    private static byte[]? t_codes;

    [ThreadStatic]
    private static short[]? t_wide;

    /// <summary>Whether <paramref name="path"/> has a GEMM here (SSSE3 without SSE4.1 lacks <c>pmovsxbw</c>).</summary>
    public static bool Supports(Int8Path path) =>
        path is Int8Path.AvxVnni or Int8Path.Avx2 || (path == Int8Path.Ssse3 && Sse41.IsSupported);

    /// <summary>The packed panels of <paramref name="w"/> (int8 symmetric, N × K) and its per-channel data padded to whole panels.</summary>
    public static PackedInt8 Pack(WeightMatrix w)
    {
        int n = w.Rows, k = w.Cols, kq = (k + 3) / 4, panels = (n + Nr - 1) / Nr;
        ReadOnlySpan<sbyte> codes = w.Int8;
        var packed = new sbyte[(long)panels * kq * Nr * 4];
        var scales = new float[panels * Nr];
        var sums = new int[panels * Nr];
        for (int j = 0; j < n; j++)
        {
            int sum = 0;
            long dst = ((long)(j / Nr) * kq * Nr * 4) + ((j % Nr) * 4);
            for (int i = 0; i < k; i++)
            {
                sbyte v = codes[(j * k) + i];
                packed[dst + ((long)(i / 4) * Nr * 4) + (i % 4)] = v;
                sum += v;
            }

            sums[j] = sum;
            scales[j] = w.Scales[j];
        }

        return new PackedInt8(packed, kq, scales, sums);
    }

    /// <summary>As <see cref="Int8Dense.Run"/> for <paramref name="rows"/> ≥ <see cref="MinRows"/> on a path <see cref="Supports"/> accepts.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(Int8Path path, ReadOnlySpan<byte> q, int zeroPoint, float scale, WeightMatrix w, ReadOnlySpan<float> bias, Activation act, Span<float> y, int rows)
    {
        RunBody(path, q, zeroPoint, scale, w, bias, act, y, rows);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(Int8Path path, ReadOnlySpan<byte> q, int zeroPoint, float scale, WeightMatrix w, ReadOnlySpan<float> bias, Activation act, Span<float> y, int rows)
    {
        PackedInt8 p = w.PackedInt8();
        int n = w.Rows, k = w.Cols, kp = p.Kq * 4, panels = (n + Nr - 1) / Nr;
        var e = new Output(ref MemoryMarshal.GetReference(y), n, p.Scales, p.Sums, bias, act, scale, path == Int8Path.AvxVnni ? zeroPoint : 0);
        ref sbyte packed = ref MemoryMarshal.GetArrayDataReference(p.Codes);
        if (path == Int8Path.AvxVnni)
        {
            // The codes as they are, each row padded to whole groups of 4 (the padded weights are 0, so any byte does).
            ref byte a = ref Rows(q, rows, k, kp);
            for (int pn = 0; pn < panels; pn++)
            {
                ref sbyte panel = ref Unsafe.Add(ref packed, (nint)pn * kp * Nr);
                for (int r = 0; r < rows; r += 6)
                {
                    TileVnni(ref Unsafe.Add(ref a, (nint)r * kp), kp, Math.Min(6, rows - r), ref panel, p.Kq, ref e, r, pn * Nr);
                }
            }

            return;
        }

        ref short s = ref Widen(q, zeroPoint, rows, k, kp);
        int width = path == Int8Path.Avx2 ? 8 : 4;
        for (int pn = 0; pn < panels; pn++)
        {
            for (int part = 0; part < Nr / width; part++)
            {
                // This part's channels start 4·width bytes into each 64-byte group of 16 channels × 4 k.
                ref sbyte panel = ref Unsafe.Add(ref packed, ((nint)pn * kp * Nr) + (part * width * 4));
                for (int r = 0; r < rows; r += 6)
                {
                    ref short sr = ref Unsafe.Add(ref s, (nint)r * kp);
                    if (width == 8)
                    {
                        TileAvx2(ref sr, kp, Math.Min(6, rows - r), ref panel, p.Kq, ref e, r, (pn * Nr) + (part * 8));
                    }
                    else
                    {
                        TileSse(ref sr, kp, Math.Min(6, rows - r), ref panel, p.Kq, ref e, r, (pn * Nr) + (part * 4));
                    }
                }
            }
        }
    }

    /// <summary>The codes copied into a per-thread buffer with row stride <paramref name="kp"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ref byte Rows(ReadOnlySpan<byte> q, int rows, int k, int kp)
    {
        return ref RowsBody(q, rows, k, kp);
    }

    // Rows's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte RowsBody(ReadOnlySpan<byte> q, int rows, int k, int kp)
    {
        int need = rows * kp;
        Span<byte> buffer = ThreadScratch.Get(ref t_codes, need);
        for (int r = 0; r < rows; r++)
        {
            q.Slice(r * k, k).CopyTo(buffer[(r * kp)..]);
        }

        return ref MemoryMarshal.GetReference(buffer);
    }

    /// <summary><c>q − zp</c> as int16 in a per-thread buffer with row stride <paramref name="kp"/>, 0 in the padding.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ref short Widen(ReadOnlySpan<byte> q, int zeroPoint, int rows, int k, int kp)
    {
        return ref WidenBody(q, zeroPoint, rows, k, kp);
    }

    // Widen's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref short WidenBody(ReadOnlySpan<byte> q, int zeroPoint, int rows, int k, int kp)
    {
        int need = rows * kp;
        Span<short> buffer = ThreadScratch.Get(ref t_wide, need);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<byte> src = q.Slice(r * k, k);
            Span<short> dst = buffer.Slice(r * kp, kp);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<short> zp = Vector256.Create((short)zeroPoint);
                for (; i <= k - 16; i += 16)
                {
                    (Vector256.WidenLower(Vector256.Create(Vector128.Create(src.Slice(i, 16)), default)).AsInt16() - zp).CopyTo(dst.Slice(i));
                }
            }

            for (; i < k; i++)
            {
                dst[i] = (short)(src[i] - zeroPoint);
            }

            dst[k..].Clear();
        }

        return ref MemoryMarshal.GetReference(buffer);
    }

    /// <summary>
    /// AVX-VNNI, 6 rows × 16 channels: per group of 4 k two weight loads, one 4-byte broadcast per row and 12
    /// <c>vpdpbusd</c> (12 accumulators + 2 weights + 1 broadcast = 15 of 16 registers). Rows past <paramref name="live"/>
    /// repeat the last one and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TileVnni(ref byte q, nint ldq, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        TileVnniBody(ref q, ldq, live, ref panel, kq, ref e, r0, j0);
    }

    // TileVnni's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileVnniBody(ref byte q, nint ldq, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        ref byte q0 = ref q;
        ref byte q1 = ref Unsafe.Add(ref q, Math.Min(1, live - 1) * ldq);
        ref byte q2 = ref Unsafe.Add(ref q, Math.Min(2, live - 1) * ldq);
        ref byte q3 = ref Unsafe.Add(ref q, Math.Min(3, live - 1) * ldq);
        ref byte q4 = ref Unsafe.Add(ref q, Math.Min(4, live - 1) * ldq);
        ref byte q5 = ref Unsafe.Add(ref q, Math.Min(5, live - 1) * ldq);
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        ref sbyte w = ref panel;
        for (nint i = 0, end = (nint)kq * 4; i < end; i += 4)
        {
            Vector256<sbyte> wa = Vector256.LoadUnsafe(ref w);
            Vector256<sbyte> wb = Vector256.LoadUnsafe(ref w, 32);
            Vector256<byte> v = Broadcast4(ref Unsafe.Add(ref q0, i));
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, v, wa);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, v, wb);
            v = Broadcast4(ref Unsafe.Add(ref q1, i));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, v, wa);
            b1 = AvxVnni.MultiplyWideningAndAdd(b1, v, wb);
            v = Broadcast4(ref Unsafe.Add(ref q2, i));
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, v, wa);
            b2 = AvxVnni.MultiplyWideningAndAdd(b2, v, wb);
            v = Broadcast4(ref Unsafe.Add(ref q3, i));
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, v, wa);
            b3 = AvxVnni.MultiplyWideningAndAdd(b3, v, wb);
            v = Broadcast4(ref Unsafe.Add(ref q4, i));
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, v, wa);
            b4 = AvxVnni.MultiplyWideningAndAdd(b4, v, wb);
            v = Broadcast4(ref Unsafe.Add(ref q5, i));
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, v, wa);
            b5 = AvxVnni.MultiplyWideningAndAdd(b5, v, wb);
            w = ref Unsafe.Add(ref w, 64);
        }

        e.Store(a0, b0, r0, j0);
        if (live > 1) e.Store(a1, b1, r0 + 1, j0);
        if (live > 2) e.Store(a2, b2, r0 + 2, j0);
        if (live > 3) e.Store(a3, b3, r0 + 3, j0);
        if (live > 4) e.Store(a4, b4, r0 + 4, j0);
        if (live > 5) e.Store(a5, b5, r0 + 5, j0);
    }

    /// <summary>
    /// AVX2, 6 rows × 8 channels on int16 activations: per group of 4 k two <c>vpmovsxbw</c> weight loads (4 channels × 4
    /// k each), one 8-byte broadcast per row, 12 <c>vpmaddwd</c> + 12 adds. Each channel's sum ends up in two lanes
    /// (k pairs 0–1 and 2–3), which one <c>vphaddd</c> + <c>vpermq</c> per row fold at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TileAvx2(ref short s, nint lds, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        TileAvx2Body(ref s, lds, live, ref panel, kq, ref e, r0, j0);
    }

    // TileAvx2's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileAvx2Body(ref short s, nint lds, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        ref short s0 = ref s;
        ref short s1 = ref Unsafe.Add(ref s, Math.Min(1, live - 1) * lds);
        ref short s2 = ref Unsafe.Add(ref s, Math.Min(2, live - 1) * lds);
        ref short s3 = ref Unsafe.Add(ref s, Math.Min(3, live - 1) * lds);
        ref short s4 = ref Unsafe.Add(ref s, Math.Min(4, live - 1) * lds);
        ref short s5 = ref Unsafe.Add(ref s, Math.Min(5, live - 1) * lds);
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        ref sbyte w = ref panel;
        for (nint i = 0, end = (nint)kq * 4; i < end; i += 4)
        {
            Vector256<short> wa = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w));
            Vector256<short> wb = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w, 16));
            Vector256<short> v = Broadcast8(ref Unsafe.Add(ref s0, i));
            a0 += Avx2.MultiplyAddAdjacent(wa, v);
            b0 += Avx2.MultiplyAddAdjacent(wb, v);
            v = Broadcast8(ref Unsafe.Add(ref s1, i));
            a1 += Avx2.MultiplyAddAdjacent(wa, v);
            b1 += Avx2.MultiplyAddAdjacent(wb, v);
            v = Broadcast8(ref Unsafe.Add(ref s2, i));
            a2 += Avx2.MultiplyAddAdjacent(wa, v);
            b2 += Avx2.MultiplyAddAdjacent(wb, v);
            v = Broadcast8(ref Unsafe.Add(ref s3, i));
            a3 += Avx2.MultiplyAddAdjacent(wa, v);
            b3 += Avx2.MultiplyAddAdjacent(wb, v);
            v = Broadcast8(ref Unsafe.Add(ref s4, i));
            a4 += Avx2.MultiplyAddAdjacent(wa, v);
            b4 += Avx2.MultiplyAddAdjacent(wb, v);
            v = Broadcast8(ref Unsafe.Add(ref s5, i));
            a5 += Avx2.MultiplyAddAdjacent(wa, v);
            b5 += Avx2.MultiplyAddAdjacent(wb, v);
            w = ref Unsafe.Add(ref w, 64);
        }

        e.Store(Fold(a0, b0), r0, j0);
        if (live > 1) e.Store(Fold(a1, b1), r0 + 1, j0);
        if (live > 2) e.Store(Fold(a2, b2), r0 + 2, j0);
        if (live > 3) e.Store(Fold(a3, b3), r0 + 3, j0);
        if (live > 4) e.Store(Fold(a4, b4), r0 + 4, j0);
        if (live > 5) e.Store(Fold(a5, b5), r0 + 5, j0);
    }

    /// <summary>SSE4.1, 6 rows × 4 channels: <see cref="TileAvx2"/> at 128 bits (two channels × 4 k per register).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TileSse(ref short s, nint lds, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        TileSseBody(ref s, lds, live, ref panel, kq, ref e, r0, j0);
    }

    // TileSse's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileSseBody(ref short s, nint lds, int live, ref sbyte panel, int kq, ref Output e, int r0, int j0)
    {
        ref short s0 = ref s;
        ref short s1 = ref Unsafe.Add(ref s, Math.Min(1, live - 1) * lds);
        ref short s2 = ref Unsafe.Add(ref s, Math.Min(2, live - 1) * lds);
        ref short s3 = ref Unsafe.Add(ref s, Math.Min(3, live - 1) * lds);
        ref short s4 = ref Unsafe.Add(ref s, Math.Min(4, live - 1) * lds);
        ref short s5 = ref Unsafe.Add(ref s, Math.Min(5, live - 1) * lds);
        Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector128<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        ref sbyte w = ref panel;
        for (nint i = 0, end = (nint)kq * 4; i < end; i += 4)
        {
            Vector128<short> wa = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref w))).AsSByte());
            Vector128<short> wb = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref w, 8)))).AsSByte());
            Vector128<short> v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s0, i)))).AsInt16();
            a0 += Sse2.MultiplyAddAdjacent(wa, v);
            b0 += Sse2.MultiplyAddAdjacent(wb, v);
            v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s1, i)))).AsInt16();
            a1 += Sse2.MultiplyAddAdjacent(wa, v);
            b1 += Sse2.MultiplyAddAdjacent(wb, v);
            v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s2, i)))).AsInt16();
            a2 += Sse2.MultiplyAddAdjacent(wa, v);
            b2 += Sse2.MultiplyAddAdjacent(wb, v);
            v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s3, i)))).AsInt16();
            a3 += Sse2.MultiplyAddAdjacent(wa, v);
            b3 += Sse2.MultiplyAddAdjacent(wb, v);
            v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s4, i)))).AsInt16();
            a4 += Sse2.MultiplyAddAdjacent(wa, v);
            b4 += Sse2.MultiplyAddAdjacent(wb, v);
            v = Vector128.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref s5, i)))).AsInt16();
            a5 += Sse2.MultiplyAddAdjacent(wa, v);
            b5 += Sse2.MultiplyAddAdjacent(wb, v);
            w = ref Unsafe.Add(ref w, 64);
        }

        // hadd(a, b) = [a0+a1, a2+a3, b0+b1, b2+b3]: channels 0–3 in order.
        e.Store(Ssse3.HorizontalAdd(a0, b0), r0, j0);
        if (live > 1) e.Store(Ssse3.HorizontalAdd(a1, b1), r0 + 1, j0);
        if (live > 2) e.Store(Ssse3.HorizontalAdd(a2, b2), r0 + 2, j0);
        if (live > 3) e.Store(Ssse3.HorizontalAdd(a3, b3), r0 + 3, j0);
        if (live > 4) e.Store(Ssse3.HorizontalAdd(a4, b4), r0 + 4, j0);
        if (live > 5) e.Store(Ssse3.HorizontalAdd(a5, b5), r0 + 5, j0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast4(ref byte p) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref p)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Broadcast8(ref short p) => Vector256.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref p))).AsInt16();

    /// <summary>
    /// hadd(a, b) = [c0 c1 c4 c5 | c2 c3 c6 c7] (a holds channels 0–1 | 2–3, b 4–5 | 6–7, two lanes each); vpermq
    /// 0xD8 puts the 64-bit pairs in channel order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold(Vector256<int> a, Vector256<int> b) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(a, b).AsInt64(), 0xD8).AsInt32();

    /// <summary>
    /// The epilogue, as <see cref="Int8Dense"/>'s (same float steps, so every path gives the same bits): the exact sum
    /// minus <c>correction·Σ_k w[j,k]</c> (VNNI's zero point), converted to float, times <c>s·wScale[j]</c> (that product
    /// first), plus the bias, then ReLU. Channels past N (a partial last panel) are computed and dropped.
    /// </summary>
    private ref struct Output(ref float y, int n, float[] scales, int[] sums, ReadOnlySpan<float> bias, Activation act, float scale, int correction)
    {
        private readonly ref float _y = ref y;
        private readonly int _n = n;
        private readonly float[] _scales = scales;
        private readonly int[] _sums = sums;
        private readonly ReadOnlySpan<float> _bias = bias;
        private readonly bool _relu = act == Activation.Relu;
        private readonly float _scale = scale;
        private readonly int _correction = correction;

        /// <summary>Row <paramref name="r"/>, channels j..j+15 from two registers of 8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(Vector256<int> lo, Vector256<int> hi, int r, int j)
        {
            Store(lo, r, j);
            Store(hi, r, j + 8);
        }

        /// <summary>
        /// Lane <paramref name="i"/> (0 ≤ i &lt; the lane count, which the callers' loops guarantee) without GetElement's
        /// range check: a possible throw keeps the inlining tile out of the ReadyToRun image.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Lane<TV>(ref TV v, int i)
            where TV : struct => Unsafe.Add(ref Unsafe.As<TV, float>(ref v), i);

        /// <summary>Row <paramref name="r"/>, channels j..j+7.</summary>
        /// <remarks>Inlined, as the 128-bit form: a call passing a vector by value keeps the tile out of the ReadyToRun image.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(Vector256<int> dot, int r, int j)
        {
            if (j >= _n)
            {
                return;
            }

            ref int sums = ref MemoryMarshal.GetArrayDataReference(_sums);
            ref float scales = ref MemoryMarshal.GetArrayDataReference(_scales);
            if (_correction != 0)
            {
                dot -= Vector256.Create(_correction) * Vector256.LoadUnsafe(ref sums, (nuint)j);
            }

            Vector256<float> v = Vector256.ConvertToSingle(dot) * (Vector256.Create(_scale) * Vector256.LoadUnsafe(ref scales, (nuint)j));
            ref float yr = ref Unsafe.Add(ref _y, ((nint)r * _n) + j);
            if (j + 8 <= _n)
            {
                if (!_bias.IsEmpty)
                {
                    v += Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(_bias), (nuint)j);
                }

                (_relu ? Simd.Relu(v) : v).StoreUnsafe(ref yr);
                return;
            }

            for (int i = 0; j + i < _n; i++)
            {
                Unsafe.Add(ref yr, i) = Finish(Lane(ref v, i), j + i);
            }
        }

        /// <summary>Row <paramref name="r"/>, channels j..j+3 (no correction: the 128-bit path works on q − zp).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(Vector128<int> dot, int r, int j)
        {
            if (j >= _n)
            {
                return;
            }

            ref float scales = ref MemoryMarshal.GetArrayDataReference(_scales);
            Vector128<float> v = Vector128.ConvertToSingle(dot) * (Vector128.Create(_scale) * Vector128.LoadUnsafe(ref scales, (nuint)j));
            ref float yr = ref Unsafe.Add(ref _y, ((nint)r * _n) + j);
            if (j + 4 <= _n)
            {
                if (!_bias.IsEmpty)
                {
                    v += Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(_bias), (nuint)j);
                }

                (_relu ? Simd.Relu(v) : v).StoreUnsafe(ref yr);
                return;
            }

            for (int i = 0; j + i < _n; i++)
            {
                Unsafe.Add(ref yr, i) = Finish(Lane(ref v, i), j + i);
            }
        }

        private readonly float Finish(float v, int j)
        {
            if (!_bias.IsEmpty)
            {
                v += _bias[j];
            }

            return _relu ? Simd.Relu(v) : v;
        }
    }
}

/// <summary>
/// <see cref="Int8Gemm"/>'s weights: <c>Codes</c> = panels of 16 channels, <c>[K/4][16][4]</c> int8 each (K rounded up
/// to 4, channels and k past the matrix zero); <c>Kq</c> = ⌈K/4⌉; <c>Scales</c>/<c>Sums</c> = each channel's weight scale
/// and code sum <c>Σ_k w[j,k]</c>, padded with zeros to whole panels.
/// </summary>
internal sealed record PackedInt8(sbyte[] Codes, int Kq, float[] Scales, int[] Sums);
