using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Batch-1 (up to <see cref="DirectDense.MaxDirectRows"/> input rows) Dense over 16-entry palettes on a narrow int8
/// grid (<see cref="PaletteGrid"/>; a book's steps within 127 of each other) on AVX2 without AVX-512, with no
/// conversions: each book's steps are stored biased into u = k − base ∈ [128, 255]
/// (<see cref="DirectWeights.BiasedSteps"/>) and one <c>vpshufb</c> looks up the u of 32 codes. A u in bits 16–23 of
/// an int32 lane, read as a float, is u·2^−133 exactly (a normal float: u ≥ 128 sets the exponent's lowest bit), and
/// lower bits add 2^−8 and 2^−16 of the bytes below it; so byte 3 of each lane is one shift away from usable, byte 2
/// one mask, and bytes 1 and 0 one <c>vpshufb</c> each, and the FMAs take the results as they are. Per 32 weights:
/// 3 shuffles, 2 shift/mask operations and 4 FMAs (plus 1.5 to split nibbles), against int8's 4 widening loads,
/// 4 converts and 4 FMAs over twice the bytes, and <see cref="GridPalette16Gemv"/>'s 5 shuffles and 4 converts.
/// <see cref="DirectDense.FixedPointPalette"/> (integer products) takes such weights first when the columns are whole
/// 16-code blocks and x is finite; this kernel keeps the rest.
/// </summary>
/// <remarks>
/// <para>
/// Σ k·x = 2^(133−64)·Σ (u·2^−133)·(x·2^64) + base·Σ x: x is scaled by 2^64 once per call (exact) and Σ x is summed
/// once per input row, so the bias costs one multiply-add per output. The bytes that ride below bytes 3 and 2 are
/// taken off by the x they meet (<see cref="PrepareX"/>), once per call. A call with an input that is not finite,
/// has |x| ≥ 2^60 (x·2^64 would overflow) or 0 &lt; |x| &lt; 2^−40 (products would turn subnormal, slow on some
/// CPUs) takes <see cref="GridPalette16Gemv"/> instead.
/// </para>
/// <para>
/// The rounding error grows from int8's ε·Σ|x·k| to about ε·(255 + |base|)·Σ|x| (u and the bias are up to 255 and
/// 191 where |k| is at most 63), which DirectDenseTests bound against float64. One weight row at a time with eight
/// FMA chains (with no converts between them, four left the loop waiting on FMA latency; two rows with eight chains
/// ran out of registers); x order is <see cref="PrepareX"/>'s, and columns after the last 64 take
/// <see cref="GridPalette16Gemv"/>'s 16-column lookups and the float-table tail. Measured on Zen 5 with AVX-512 off
/// (<c>quick big-layer</c>): 0.97–1.02× int8's time in cache, where the grid kernel took 1.14–1.33×.
/// </para>
/// </remarks>
internal static class BiasedGridPalette16Gemv
{
    private const int Block = 64;

    /// <summary>x is scaled by this (2^64) before the products.</summary>
    private const float XScale = 18446744073709551616f;

    /// <summary>2^(133−64): Σ (u·2^−133)(x·2^64) times this is Σ u·x.</summary>
    private const float SumScale = 590295810358705651712f;

    /// <summary>Inputs whose magnitude is 2^60 or more, or under 2^−40 but not 0, leave the window (see the remarks).</summary>
    private const float WindowHigh = 1152921504606846976f, WindowLow = 1 / 1099511627776f;

    [ThreadStatic]
    private static float[]? t_x;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        RunBody(x, w, y, rows, in ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        // Whole 16-column blocks after the last 64 are dotted inside Pair (natural order); a last partial block takes
        // the float-table tail, in y's units.
        int n = w.Rows, k = w.Cols, whole = k / Block * Block, covered = whole + ((k - whole) / 16 * 16);
        Span<float> xs = Scratch((rows * covered) + rows);
        Span<float> sums = xs[(rows * covered)..];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * k, covered);
            if (!SumInWindow(xr, out sums[r]))
            {
                GridPalette16Gemv.Run(x, w, y, rows, ep);
                return;
            }

            Span<float> to = xs.Slice(r * covered, covered);
            PrepareX(xr[..whole], to[..whole]);
            for (int c = whole; c < covered; c++)
            {
                to[c] = xr[c] * XScale;
            }
        }

        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float xs0 = ref MemoryMarshal.GetReference(xs);
        ref byte codes = ref w.CodeStart;
        ref byte biased = ref MemoryMarshal.GetArrayDataReference(w.BiasedSteps);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        for (int j = 0; j < n; j++)
        {
            int book = j / w.RowsPerBook;
            ref byte c = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
            float s = w.GridScales[book], bias = w.StepBases[book];
            for (int r = 0; r < rows; r++)
            {
                float tail = Palette16Gemv.TailDot(w, j, ref c, ref Unsafe.Add(ref x0, (nint)r * k), covered) + (s * bias * sums[r]);
                float d = Row(ref c, ref biased, book, ref Unsafe.Add(ref xs0, (nint)r * covered), whole, covered, w.RowBytes, prefetch);
                y[(r * n) + j] = ep.Apply(j, (s * (d * SumScale)) + tail, 0);
            }
        }
    }

    /// <summary>
    /// Σ (u·2^−133)·x' of one weight row over its first <paramref name="covered"/> columns: the first
    /// <paramref name="whole"/> with x' prepared by <see cref="PrepareX"/>, the rest in column order.
    /// </summary>
    /// <remarks>
    /// The table is loaded here, not passed in: vector arguments travel through the stack and were reloaded every
    /// block. Inlined into the caller's row loop: a call per weight row cost 3 % of the wide MLP's layers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Row(ref byte c, ref byte biased, int book, ref float xs, int whole, int covered, nint rowBytes, bool prefetch)
    {
        Vector256<byte> t = GridPalette16Gemv.Table(ref Unsafe.As<byte, sbyte>(ref biased), book).AsByte();
        Vector256<byte> nibble = Vector256.Create((byte)15);

        // Eight accumulators (one per byte position and nibble half): with no conversions in the way, fewer left the
        // loop waiting on FMA latency.
        var a = default(Accumulators);
        var b = default(Accumulators);
        ref float xb = ref xs;
        byte* next = RowPrefetch.Next(ref c, 1, rowBytes);
        for (nint at = 0, end = whole / 2; at < end; at += Block / 2, xb = ref Unsafe.Add(ref xb, Block))
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, at, Block / 2);
            }

            // 64 columns in 32 bytes: low nibbles are the first 32 columns' codes, high nibbles the next 32.
            Vector256<byte> v = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, at));
            Lookup32(Avx2.Shuffle(t, v & nibble), ref xb, ref a);
            Lookup32(Avx2.Shuffle(t, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble), ref Unsafe.Add(ref xb, 32), ref b);
        }

        if (covered > whole)
        {
            // The biased steps as floats u·2^−133, 8 per register, looked up per 16-column block as GridPalette16Gemv does.
            Vector256<float> lo = Values(ref biased, book, 0), hi = Values(ref biased, book, 8);
            for (int col = whole; col < covered; col += 16)
            {
                Vector256<int> block = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c, col / 2));
                a.Q0 = Simd.MulAdd(GridPalette16Gemv.Lookup16(block, lo, hi), Vector256.LoadUnsafe(ref xs, (nuint)col), a.Q0);
                b.Q0 = Simd.MulAdd(GridPalette16Gemv.Lookup16(Vector256.ShiftRightLogical(block, 4), lo, hi), Vector256.LoadUnsafe(ref xs, (nuint)(col + 8)), b.Q0);
            }
        }

        return Simd.ShortSum(((a.Q0 + b.Q0) + (a.Q1 + b.Q1)) + ((a.Q2 + b.Q2) + (a.Q3 + b.Q3)));
    }

    /// <summary>
    /// 32 looked-up biased steps (one per byte) times 32 prepared x (<see cref="PrepareX"/>); byte m of each int32
    /// lane goes into accumulator m.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup32(Vector256<byte> u, ref float x, ref Accumulators a)
    {
        a.Q0 = Simd.MulAdd(Byte0(u), Vector256.LoadUnsafe(ref x), a.Q0);
        a.Q1 = Simd.MulAdd(Byte1(u), Vector256.LoadUnsafe(ref x, 8), a.Q1);
        a.Q2 = Simd.MulAdd(Byte2(u), Vector256.LoadUnsafe(ref x, 16), a.Q2);
        a.Q3 = Simd.MulAdd(Byte3(u), Vector256.LoadUnsafe(ref x, 24), a.Q3);
    }

    /// <summary>Four FMA chains (a struct of locals the JIT keeps in registers).</summary>
    private struct Accumulators
    {
        public Vector256<float> Q0, Q1, Q2, Q3;
    }

    /// <summary>Byte 3 (b3) of each int32 lane at bits 16–23 with b2 and b1 below it: 2^−133·(b3 + b2/2^8 + b1/2^16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Byte3(Vector256<byte> u) => Vector256.ShiftRightLogical(u.AsUInt32(), 8).AsSingle();

    /// <summary>Byte 2 of each int32 lane in place with b1 and b0 below it: 2^−133·(b2 + b1/2^8 + b0/2^16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Byte2(Vector256<byte> u) => (u.AsUInt32() & Vector256.Create(0x00FF_FFFFu)).AsSingle();

    /// <summary>Byte 1 of each int32 lane alone at bits 16–23: 2^−133·b1.</summary>
    /// <remarks>A shuffle, not two shifts leaving b0 below it: that form ran 1.06× int8's time against 1.01× (256 × 1024, Zen 5, AVX-512 off).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Byte1(Vector256<byte> u) => Moved(u, 1);

    /// <summary>Byte 0 of each int32 lane alone at bits 16–23: 2^−133·b0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Byte0(Vector256<byte> u) => Moved(u, 0);

    /// <summary>
    /// Byte <paramref name="m"/> of each int32 lane moved to bits 16–23, the other bytes zero (a control byte with bit
    /// 7 set writes 0): one <c>vpshufb</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Moved(Vector256<byte> u, int m)
    {
        const int Zeros = unchecked((int)0x80008080);
        Vector256<byte> control = Vector256.Create(
            Zeros | (m << 16), Zeros | ((4 + m) << 16), Zeros | ((8 + m) << 16), Zeros | ((12 + m) << 16),
            Zeros | (m << 16), Zeros | ((4 + m) << 16), Zeros | ((8 + m) << 16), Zeros | ((12 + m) << 16)).AsByte();
        return Avx2.Shuffle(u, control).AsSingle();
    }

    /// <summary>
    /// One input row's first <paramref name="x"/>.Length (a multiple of 64) columns, scaled by 2^64, in the order and
    /// with the corrections <see cref="Lookup32"/> needs. In a 64-column block, code byte p = 16·lane + 4e + m (lane
    /// 0–1, e 0–3, m 0–3) holds column c = 32·lane + 16·(e/2) + 4·(e%2) + m in its low nibble and c + 8 in its high
    /// one; its looked-up step u_m meets x at <c>32·half + 8·m + 4·lane + e</c>. As the byte vectors carry the lower
    /// bytes of their lane at 2^−8 and 2^−16 (<see cref="Byte3"/>, <see cref="Byte2"/>), the lower columns' x take off
    /// what the higher ones already added: Y3 = x3, Y2 = x2 − Y3/2^8, Y1 = x1 − Y2/2^8 − Y3/2^16,
    /// Y0 = x0 − Y2/2^16. Each Y is x plus a correction under 2^−7 of its neighbours, with one rounding each.
    /// </summary>
    /// <remarks>
    /// For one (half, lane) the four e hold four runs of four consecutive columns (m = 0…3): they are loaded as
    /// rows, transposed (one vector per m), corrected and stored as the four quarters' slices.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PrepareX(ReadOnlySpan<float> x, Span<float> xs)
    {
        PrepareXBody(x, xs);
    }

    // PrepareX's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrepareXBody(ReadOnlySpan<float> x, Span<float> xs)
    {
        ref float from = ref MemoryMarshal.GetReference(x);
        ref float to = ref MemoryMarshal.GetReference(xs);
        Vector128<float> scale = Vector128.Create(XScale), by8 = Vector128.Create(1f / 256), by16 = Vector128.Create(1f / 65536);
        for (int block = 0; block < x.Length; block += Block)
        {
            for (int half = 0; half < 2; half++)
            {
                for (int lane = 0; lane < 2; lane++)
                {
                    // Runs e = 0…3 start at columns c, c + 4, c + 16, c + 20.
                    int c = block + (32 * lane) + (8 * half);
                    Vector128<float> r0 = Vector128.LoadUnsafe(ref from, (nuint)c), r1 = Vector128.LoadUnsafe(ref from, (nuint)(c + 4));
                    Vector128<float> r2 = Vector128.LoadUnsafe(ref from, (nuint)(c + 16)), r3 = Vector128.LoadUnsafe(ref from, (nuint)(c + 20));
                    Vector128<float> lo01 = Sse.UnpackLow(r0, r1), lo23 = Sse.UnpackLow(r2, r3);
                    Vector128<float> hi01 = Sse.UnpackHigh(r0, r1), hi23 = Sse.UnpackHigh(r2, r3);
                    Vector128<float> y3 = Sse.MoveHighToLow(hi23, hi01) * scale;
                    Vector128<float> y2 = (Sse.MoveLowToHigh(hi01, hi23) * scale) - (y3 * by8);
                    Vector128<float> y1 = (Sse.MoveHighToLow(lo23, lo01) * scale) - (y2 * by8) - (y3 * by16);
                    Vector128<float> y0 = (Sse.MoveLowToHigh(lo01, lo23) * scale) - (y2 * by16);
                    int at = block + (32 * half) + (4 * lane);
                    y0.StoreUnsafe(ref to, (nuint)at);
                    y1.StoreUnsafe(ref to, (nuint)(at + 8));
                    y2.StoreUnsafe(ref to, (nuint)(at + 16));
                    y3.StoreUnsafe(ref to, (nuint)(at + 24));
                }
            }
        }
    }

    /// <summary>Biased steps <paramref name="first"/>…+7 of book <paramref name="book"/> as the floats u·2^−133 (u in bits 16–23).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Values(ref byte biased, int book, int first)
    {
        Vector256<int> u = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref biased, (16 * book) + first))).AsByte());
        return Vector256.ShiftLeft(u, 16).AsSingle();
    }

    /// <summary>Σ x into <paramref name="sum"/>; false when some x is not finite, or has |x| ≥ 2^60, or 0 &lt; |x| &lt; 2^−40.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool SumInWindow(ReadOnlySpan<float> x, out float sum)
    {
        return SumInWindowBody(x, out sum);
    }

    // SumInWindow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SumInWindowBody(ReadOnlySpan<float> x, out float sum)
    {
        Vector256<float> acc = default, outside = default;
        Vector256<float> high = Vector256.Create(WindowHigh), low = Vector256.Create(WindowLow);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector256<float> v = Vector256.LoadUnsafe(ref x0, (nuint)i), a = Vector256.Abs(v);
            acc += v;
            // NaN fails a < high, so it counts as outside.
            outside |= ~Vector256.LessThan(a, high) | (Vector256.LessThan(a, low) & ~Vector256.Equals(a, Vector256<float>.Zero));
        }

        sum = Vector256.Sum(acc);
        bool inside = outside.AsUInt32() == Vector256<uint>.Zero;
        for (; i < x.Length; i++)
        {
            float a = Math.Abs(x[i]);
            sum += x[i];
            inside &= a < WindowHigh && (a >= WindowLow || a == 0);
        }

        return inside;
    }

    private static Span<float> Scratch(int length)
    {
        return ThreadScratch.Get(ref t_x, length);
    }
}
