using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Batch-1 (up to <see cref="DirectDense.MaxDirectRows"/> input rows) Dense over a 16-entry palette on an int8 grid
/// (<see cref="PaletteGrid"/>: entry = k·s) on AVX2 without AVX-512 (<see cref="Table16GemvZmm"/> there): one <c>vpshufb</c> looks up the int8 steps k of 32 codes (a
/// 16-byte table), then per 8 of them a <c>vpshufb</c> moves each byte to the top of its int32 lane (k·2^24, exact),
/// <c>vcvtdq2ps</c> and an FMA with x, which was scaled by 2^−24 once per call; s multiplies each row's sum, as int8's
/// scale does. Per 32 weights: 5 shuffles, 4 converts, 4 FMAs, against int8's 4 widening loads, 4 converts, 4 FMAs
/// over twice the bytes (and <see cref="Palette16Gemv"/>'s 12 shuffles for float tables).
/// </summary>
/// <remarks>
/// Codes are <see cref="DirectWeights"/>' 4-bit layout read 32 bytes (64 columns) at a time, and the moved bytes come
/// out in the order of <see cref="Palette16Gemv"/>'s unpacks, so x is permuted as there (<see cref="Palette16Gemv.PermuteX"/>).
/// Moving bytes to the top of the lane instead of sign-extending them saves a shift; x's 2^−24 keeps the sums in
/// range (only |x| &lt; 2^−102 loses bits, as a subnormal). Two weight rows at a time, sharing each x load. Columns
/// after the last 64 take <see cref="Palette16Gemv"/>'s float-table tail.
/// </remarks>
internal static class GridPalette16Gemv
{
    private const int Block = 64;

    /// <summary>x is scaled by this before the products; the moved steps are k·2^24.</summary>
    private const float XScale = 1f / (1 << 24);

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
        // Whole 16-column blocks after the last 64 (K = 784 leaves 16) are dotted inside Pair; only a last partial block
        // goes to the float-table tail, whose per-row set-up and reduction cost as much as the 16 columns' products.
        int n = w.Rows, k = w.Cols, whole = k / Block * Block, blocks16 = (k - whole) / 16 * 16;
        Span<float> xs = Scratch(Math.Max(rows * whole, 1));
        for (int r = 0; r < rows; r++)
        {
            Palette16Gemv.PermuteX(x.Slice(r * k, whole), xs.Slice(r * whole, whole), XScale);
        }

        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float xs0 = ref MemoryMarshal.GetReference(xs);
        ref byte codes = ref w.CodeStart;
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        ref sbyte steps = ref MemoryMarshal.GetArrayDataReference(w.GridSteps);
        for (int j = 0; j < n; j += 2)
        {
            int j1 = Math.Min(j + 1, n - 1), book0 = j / w.RowsPerBook, book1 = j1 / w.RowsPerBook;
            ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
            ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
            float s0 = w.GridScales[book0], s1 = w.GridScales[book1];
            for (int r = 0; r < rows; r++)
            {
                ref float xr = ref Unsafe.Add(ref x0, (nint)r * k);
                (float d0, float d1) = Pair(ref c0, ref c1, ref steps, book0, book1, ref Unsafe.Add(ref xs0, (nint)r * whole), whole, ref xr, blocks16, prefetch);
                y[(r * n) + j] = ep.Apply(j, (d0 * s0) + Palette16Gemv.TailDot(w, j, ref c0, ref xr, whole + blocks16), 0);
                if (j + 1 < n)
                {
                    y[(r * n) + j + 1] = ep.Apply(j + 1, (d1 * s1) + Palette16Gemv.TailDot(w, j1, ref c1, ref xr, whole + blocks16), 0);
                }
            }
        }
    }

    /// <summary>
    /// Σ k·x of two weight rows over their first <paramref name="whole"/> columns (x as permuted and scaled) and the
    /// <paramref name="blocks16"/> columns after them (x as given, <paramref name="xr"/>).
    /// </summary>
    /// <remarks>The tables are loaded here, not passed in: vector arguments travel through the stack and were reloaded every block.</remarks>
    private static unsafe (float, float) Pair(ref byte c0, ref byte c1, ref sbyte steps, int book0, int book1, ref float xs, int whole, ref float xr, int blocks16, bool prefetch)
    {
        Vector256<sbyte> t0 = Table(ref steps, book0), t1 = Table(ref steps, book1);
        Vector256<byte> nibble = Vector256.Create((byte)15);
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
        ref float xb = ref xs;

        // Two rows a block: the next two rows start where c1's row ends (rows are consecutive but for the last, odd one).
        byte* next = RowPrefetch.Next(ref c0, 2, Unsafe.ByteOffset(ref c0, ref c1));
        for (nint at = 0, end = whole / 2; at < end; at += Block / 2, xb = ref Unsafe.Add(ref xb, Block))
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, 2 * at, 2 * Block / 2);
            }

            // 64 columns per row in 32 bytes: low nibbles are the first 32 columns' codes, high nibbles the next 32.
            Vector256<byte> v0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, at));
            Vector256<byte> v1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c1, at));
            Lookup32(Avx2.Shuffle(t0, (v0 & nibble).AsSByte()), Avx2.Shuffle(t1, (v1 & nibble).AsSByte()), ref xb, ref a0, ref a1, ref b0, ref b1);
            v0 = Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble;
            v1 = Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble;
            Lookup32(Avx2.Shuffle(t0, v0.AsSByte()), Avx2.Shuffle(t1, v1.AsSByte()), ref Unsafe.Add(ref xb, 32), ref a0, ref a1, ref b0, ref b1);
        }

        if (blocks16 > 0)
        {
            // The steps as floats, 8 per register: a 16-entry lookup of each 16-column block (8 bytes, lane j's byte holds
            // the codes of columns j and j + 8), k·x in the same units as the lookups above (k·2^24 times x·2^−24).
            Vector256<float> lo0 = Steps(ref steps, book0, 0), hi0 = Steps(ref steps, book0, 8);
            Vector256<float> lo1 = Steps(ref steps, book1, 0), hi1 = Steps(ref steps, book1, 8);
            for (int c = whole; c < whole + blocks16; c += 16)
            {
                Vector256<int> block0 = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c0, c / 2));
                Vector256<int> block1 = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c1, c / 2));
                Vector256<float> xq = Vector256.LoadUnsafe(ref xr, (nuint)c);
                a0 = Simd.MulAdd(Lookup16(block0, lo0, hi0), xq, a0);
                b0 = Simd.MulAdd(Lookup16(block1, lo1, hi1), xq, b0);
                xq = Vector256.LoadUnsafe(ref xr, (nuint)(c + 8));
                a1 = Simd.MulAdd(Lookup16(Vector256.ShiftRightLogical(block0, 4), lo0, hi0), xq, a1);
                b1 = Simd.MulAdd(Lookup16(Vector256.ShiftRightLogical(block1, 4), lo1, hi1), xq, b1);
            }
        }

        return (Vector256.Sum(a0 + a1), Vector256.Sum(b0 + b1));
    }

    /// <summary>Steps <paramref name="first"/>…+7 of book <paramref name="book"/> as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Steps(ref sbyte steps, int book, int first) =>
        Simd.LoadInt8x8(ref Unsafe.Add(ref steps, (16 * book) + first));

    /// <summary>The entries at codes 0–15 (bits 0–3 of each lane; higher bits are ignored) of a table held as two halves, as <see cref="Palette16"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Lookup16(Vector256<int> codes, Vector256<float> lo, Vector256<float> hi) =>
        Avx.BlendVariable(Avx2.PermuteVar8x32(lo, codes), Avx2.PermuteVar8x32(hi, codes), Vector256.ShiftLeft(codes, 28).AsSingle());

    /// <summary>
    /// 32 looked-up steps of each row (one per byte, in code-byte order) times 32 permuted x; each x quarter is loaded
    /// once for both rows. Two accumulators per row: the loop is bound by its instruction count, not by FMA latency, and
    /// eight accumulators left too few registers (the tables were spilled and reloaded every block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup32(Vector256<sbyte> k0, Vector256<sbyte> k1, ref float x, ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> b0, ref Vector256<float> b1)
    {
        Vector256<float> xq = Vector256.LoadUnsafe(ref x);
        a0 = Simd.MulAdd(Top(k0, 0), xq, a0);
        b0 = Simd.MulAdd(Top(k1, 0), xq, b0);
        xq = Vector256.LoadUnsafe(ref x, 8);
        a1 = Simd.MulAdd(Top(k0, 1), xq, a1);
        b1 = Simd.MulAdd(Top(k1, 1), xq, b1);
        xq = Vector256.LoadUnsafe(ref x, 16);
        a0 = Simd.MulAdd(Top(k0, 2), xq, a0);
        b0 = Simd.MulAdd(Top(k1, 2), xq, b0);
        xq = Vector256.LoadUnsafe(ref x, 24);
        a1 = Simd.MulAdd(Top(k0, 3), xq, a1);
        b1 = Simd.MulAdd(Top(k1, 3), xq, b1);
    }

    /// <summary>
    /// Bytes 4q…4q+3 of each 128-bit lane moved to the top byte of int32 lanes 0–3 (4–7 for the upper lane), the
    /// other bytes zero (a control byte with bit 7 set writes 0), and converted: k·2^24 exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Top(Vector256<sbyte> k, int q)
    {
        int b = 4 * q;
        Vector256<sbyte> control = Vector256.Create(
            (b << 24) | 0x808080, ((b + 1) << 24) | 0x808080, ((b + 2) << 24) | 0x808080, ((b + 3) << 24) | 0x808080,
            (b << 24) | 0x808080, ((b + 1) << 24) | 0x808080, ((b + 2) << 24) | 0x808080, ((b + 3) << 24) | 0x808080).AsSByte();
        return Avx.ConvertToVector256Single(Avx2.Shuffle(k, control).AsInt32());
    }

    /// <summary>Book <paramref name="book"/>'s 16 steps in both 128-bit lanes (vpshufb looks up within each lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> Table(ref sbyte steps, int book)
    {
        Vector128<sbyte> half = Vector128.LoadUnsafe(ref steps, (nuint)(16 * book));
        return Vector256.Create(half, half);
    }

    private static Span<float> Scratch(int length)
    {
        return ThreadScratch.Get(ref t_x, length);
    }
}
