using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Batch-1 (up to <see cref="DirectDense.MaxDirectRows"/> input rows) Dense over 4-bit codes read through a 16-entry
/// table per row, with AVX-512: a 16-entry palette, or per-channel linear codes, whose values (c − offset)·scale form
/// such a table too. The table fits one register and <c>vpermps</c> reads only the low 4 bits of each int32 index, so
/// a code anywhere in a lane is looked up after one shift: no masking, no conversion, the format's floats bit for bit.
/// Per 128 weights of a row: one 64-byte load, seven shifts, eight lookups and eight FMAs; int8 needs eight widening
/// loads (shuffles, as <c>vpermps</c> is), eight converts and eight FMAs over twice the bytes.
/// </summary>
/// <remarks>
/// Codes are <see cref="DirectWeights"/>' 4-bit layout: 16-column blocks of 8 bytes, byte i holding column i (low
/// nibble) and i + 8 (high), rows padded to whole blocks. Lookup m of a 128-column span reads nibble m of every 32-bit
/// lane, so x is permuted once per call into that order (<see cref="PermuteX"/>). Columns after the last 128 go 32 at a
/// time (16 code bytes widened to lanes: low nibbles are columns 0–7 and 16–23, high nibbles 8–15 and 24–31), then
/// whole or partial 16-column blocks in column order; a partial block's padding lanes are masked off after the lookup
/// (x is zero there too, but a table may hold ±∞). Four weight rows at a time share each x load; two accumulators per row
/// keep eight FMA chains in flight. Grid palettes (<see cref="PaletteGrid"/>) take this kernel too: a float lookup
/// costs fewer instructions than the grid kernel's int8 steps and converts.
/// </remarks>
internal static class Table16GemvZmm
{
    /// <summary>Columns per 64 code bytes (the main loop), per 16 (the first tail) and per block.</summary>
    private const int Wide = 128, Narrow = 32, Block = 16;

    [ThreadStatic]
    private static float[]? t_x;

    /// <summary>Whether this kernel takes <paramref name="w"/>: 4-bit codes, a palette or one linear scale group per row.</summary>
    public static bool Takes(DirectWeights w) => w.Bits == 4 && (w.IsPalette || w.GroupsPerRow == 1);

    /// <param name="x">rows × K inputs.</param>
    /// <param name="w">N × K weights that <see cref="Takes"/> accepts.</param>
    /// <param name="y">rows × N outputs.</param>
    /// <param name="rows">Input rows, 1 to <see cref="DirectDense.MaxDirectRows"/>.</param>
    /// <param name="ep">Bias and activation.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        RunBody(x, w, y, rows, in ep);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        int n = w.Rows, k = w.Cols, padded = (k + Block - 1) / Block * Block;
        Span<float> xs = ThreadScratch.Get(ref t_x, rows * padded);
        for (int r = 0; r < rows; r++)
        {
            PermuteX(x.Slice(r * k, k), xs.Slice(r * padded, padded));
        }

        Vector512<float> lastMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(k % Block == 0 ? Block : k % Block)).AsSingle();
        ref float xs0 = ref MemoryMarshal.GetReference(xs);
        Span<float> dots = stackalloc float[4];
        for (int j = 0; j < n; j += 4)
        {
            // A last partial quad repeats row n − 1 in the missing places; only real rows are written.
            var quad = new Quad(w, j);
            for (int r = 0; r < rows; r++)
            {
                Dots(w, quad, ref Unsafe.Add(ref xs0, (nint)r * padded), k, lastMask, dots);
                for (int i = 0; i < 4 && j + i < n; i++)
                {
                    y[(r * n) + j + i] = ep.Apply(j + i, dots[i], 0);
                }
            }
        }
    }

    /// <summary>
    /// Row <paramref name="row"/>'s whole 16-column blocks as floats into <paramref name="dst"/> (one lookup and one
    /// store per block, for <see cref="DirectGemm"/>'s decoded rows); returns the first column left (K rounded down to 16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int DecodeRow(DirectWeights w, int row, Span<float> dst)
    {
        Vector512<float> table = RowTable(w, row);
        ref byte codes = ref Unsafe.Add(ref w.CodeStart, (nint)row * w.RowBytes);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int whole = w.Cols / Block * Block;
        for (int c = 0; c < whole; c += Block)
        {
            Lookup(table, Block16(ref Unsafe.Add(ref codes, c / 2))).StoreUnsafe(ref d, (nuint)c);
        }

        return whole;
    }

    /// <summary>Row <paramref name="row"/>'s 16 values: its palette, or (c − offset)·scale for c = 0…15 (as <see cref="DirectWeights.Value"/> computes them).</summary>
    /// <remarks>Inlined: called out of line, its vector came back through the stack and <see cref="Dots"/> read its tables from memory (1.6× slower).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RowTable(DirectWeights w, int row)
    {
        if (w.IsPalette)
        {
            // No division for a table per row (the usual layout).
            nint at = (nint)(w.RowsPerBook == 1 ? row : row / w.RowsPerBook) * w.TableStride;
            return Vector512.LoadUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(w.Tables), at));
        }

        Vector512<float> steps = Vector512.ConvertToSingle(Vector512<int>.Indices - Vector512.Create(w.Offset(row)));
        return steps * Vector512.Create(w.Scales[row]);
    }

    /// <summary>Four weight rows (indices past the last repeat it).</summary>
    private readonly struct Quad
    {
        private readonly int _row0, _row1, _row2, _row3;

        public Quad(DirectWeights w, int j)
        {
            int last = w.Rows - 1;
            (_row0, _row1, _row2, _row3) = (j, Math.Min(j + 1, last), Math.Min(j + 2, last), Math.Min(j + 3, last));
        }

        public ref byte Codes(DirectWeights w, int i) =>
            ref Unsafe.Add(ref w.CodeStart, (nint)Row(i) * w.RowBytes);

        public Vector512<float> Table(DirectWeights w, int i) => RowTable(w, Row(i));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Row(int i) => i switch { 0 => _row0, 1 => _row1, 2 => _row2, _ => _row3 };
    }

    /// <summary>
    /// Four rows' dots with one input row in lookup order (<paramref name="xs"/>, <see cref="PermuteX"/>), into
    /// <paramref name="dots"/>; <paramref name="lastMask"/> selects the lanes of the last 16-column block that are real columns.
    /// </summary>
    /// <remarks>
    /// Tables are made here, not passed in: vector arguments travel through the stack, and the tables are read in every
    /// step. <paramref name="lastMask"/> is read once per call, in the tail, so it may.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dots(DirectWeights w, in Quad quad, ref float xs, int k, Vector512<float> lastMask, Span<float> dots)
    {
        ref byte c0 = ref quad.Codes(w, 0), c1 = ref quad.Codes(w, 1), c2 = ref quad.Codes(w, 2), c3 = ref quad.Codes(w, 3);
        Vector512<float> t0 = quad.Table(w, 0), t1 = quad.Table(w, 1), t2 = quad.Table(w, 2), t3 = quad.Table(w, 3);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        nint at = 0;
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        for (nint end = k / Wide * Wide / 2; at < end; at += Wide / 2, xs = ref Unsafe.Add(ref xs, Wide))
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, 4 * at, 4 * Wide / 2);
            }

            var xq = new Span128(ref xs);
            Step128(t0, Vector512.LoadUnsafe(ref Unsafe.Add(ref c0, at)).AsInt32(), xq, ref a0, ref b0);
            Step128(t1, Vector512.LoadUnsafe(ref Unsafe.Add(ref c1, at)).AsInt32(), xq, ref a1, ref b1);
            Step128(t2, Vector512.LoadUnsafe(ref Unsafe.Add(ref c2, at)).AsInt32(), xq, ref a2, ref b2);
            Step128(t3, Vector512.LoadUnsafe(ref Unsafe.Add(ref c3, at)).AsInt32(), xq, ref a3, ref b3);
        }

        for (nint end = k / Narrow * Narrow / 2; at < end; at += Narrow / 2, xs = ref Unsafe.Add(ref xs, Narrow))
        {
            Vector512<float> xLow = Vector512.LoadUnsafe(ref xs), xHigh = Vector512.LoadUnsafe(ref xs, 16);
            Step32(t0, Widen(ref Unsafe.Add(ref c0, at)), xLow, xHigh, ref a0, ref b0);
            Step32(t1, Widen(ref Unsafe.Add(ref c1, at)), xLow, xHigh, ref a1, ref b1);
            Step32(t2, Widen(ref Unsafe.Add(ref c2, at)), xLow, xHigh, ref a2, ref b2);
            Step32(t3, Widen(ref Unsafe.Add(ref c3, at)), xLow, xHigh, ref a3, ref b3);
        }

        // At most two 16-column blocks are left; only the last may be partial.
        for (nint end = (k + Block - 1) / Block * Block / 2; at < end; at += Block / 2, xs = ref Unsafe.Add(ref xs, Block))
        {
            Vector512<float> mask = at + (Block / 2) == end ? lastMask : Vector512<float>.AllBitsSet;
            Vector512<float> xb = Vector512.LoadUnsafe(ref xs);
            a0 = Avx512F.FusedMultiplyAdd(Lookup(t0, Block16(ref Unsafe.Add(ref c0, at))) & mask, xb, a0);
            a1 = Avx512F.FusedMultiplyAdd(Lookup(t1, Block16(ref Unsafe.Add(ref c1, at))) & mask, xb, a1);
            a2 = Avx512F.FusedMultiplyAdd(Lookup(t2, Block16(ref Unsafe.Add(ref c2, at))) & mask, xb, a2);
            a3 = Avx512F.FusedMultiplyAdd(Lookup(t3, Block16(ref Unsafe.Add(ref c3, at))) & mask, xb, a3);
        }

        // One 4-way reduction of the halves' sums, not four 16-lane ones (the same fault DirectDense.StoreDots fixes).
        _ = dots[3];
        Simd.Sum4(Halves(a0 + b0), Halves(a1 + b1), Halves(a2 + b2), Halves(a3 + b3)).StoreUnsafe(ref MemoryMarshal.GetReference(dots));
    }

    /// <summary>The sum of a 512-bit vector's two 256-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Halves(Vector512<float> v) => v.GetLower() + v.GetUpper();

    /// <summary>The 8 permuted x vectors of a 128-column span, loaded once for the four rows.</summary>
    private readonly ref struct Span128
    {
        public readonly Vector512<float> X0, X1, X2, X3, X4, X5, X6, X7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span128(ref float xs)
        {
            (X0, X1, X2, X3) = (Vector512.LoadUnsafe(ref xs), Vector512.LoadUnsafe(ref xs, 16), Vector512.LoadUnsafe(ref xs, 32), Vector512.LoadUnsafe(ref xs, 48));
            (X4, X5, X6, X7) = (Vector512.LoadUnsafe(ref xs, 64), Vector512.LoadUnsafe(ref xs, 80), Vector512.LoadUnsafe(ref xs, 96), Vector512.LoadUnsafe(ref xs, 112));
        }
    }

    /// <summary>128 weights of one row (64 code bytes): lookup m reads nibble m of each lane and meets x vector m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step128(Vector512<float> table, Vector512<int> codes, in Span128 x, ref Vector512<float> a, ref Vector512<float> b)
    {
        a = Avx512F.FusedMultiplyAdd(Lookup(table, codes), x.X0, a);
        b = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 4)), x.X1, b);
        a = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 8)), x.X2, a);
        b = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 12)), x.X3, b);
        a = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 16)), x.X4, a);
        b = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 20)), x.X5, b);
        a = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 24)), x.X6, a);
        b = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 28)), x.X7, b);
    }

    /// <summary>32 weights of one row: the low-nibble lookups times x's first 16 (permuted), the high-nibble ones times the next 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(Vector512<float> table, Vector512<int> codes, Vector512<float> xLow, Vector512<float> xHigh, ref Vector512<float> a, ref Vector512<float> b)
    {
        a = Avx512F.FusedMultiplyAdd(Lookup(table, codes), xLow, a);
        b = Avx512F.FusedMultiplyAdd(Lookup(table, Vector512.ShiftRightLogical(codes, 4)), xHigh, b);
    }

    /// <summary>The table entries at bits 0–3 of each lane (<c>vpermps</c> ignores the higher bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lookup(Vector512<float> table, Vector512<int> codes) => Avx512F.PermuteVar16x32(table, codes);

    /// <summary>16 code bytes zero-extended to int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Widen(ref byte codes) => Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref codes));

    /// <summary>A 16-column block's codes in column order: its 8 bytes widened, then the same shifted down by 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Block16(ref byte codes)
    {
        Vector256<int> block = SplitBlock<FourBits>.Load(ref codes);
        return Vector512.Create(block, Vector256.ShiftRightLogical(block, 4));
    }

    /// <summary>
    /// One input row in lookup order, <paramref name="xs"/> being K rounded up to whole 16-column blocks. Per 128
    /// columns: element l of vector m is the column whose code is nibble m of lane l (code byte p = 4l + m/2 of the span,
    /// in block p/8: column 16·(p/8) + p mod 8, + 8 for a high nibble). Per 32 columns after the last 128: columns 0–7,
    /// 16–23 (the low nibbles' places), then 8–15, 24–31 (the high nibbles'). The rest in order, then zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void PermuteX(ReadOnlySpan<float> x, Span<float> xs)
    {
        PermuteXBody(x, xs);
    }

    // PermuteX's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PermuteXBody(ReadOnlySpan<float> x, Span<float> xs)
    {
        ref float from = ref MemoryMarshal.GetReference(x);
        ref float to = ref MemoryMarshal.GetReference(xs);
        ref byte order = ref MemoryMarshal.GetArrayDataReference(WideOrder);
        int at = 0;
        for (; at + Wide <= x.Length; at += Wide)
        {
            for (int i = 0; i < Wide; i++)
            {
                Unsafe.Add(ref to, at + i) = Unsafe.Add(ref from, at + Unsafe.Add(ref order, i));
            }
        }

        for (; at + Narrow <= x.Length; at += Narrow)
        {
            x.Slice(at, 8).CopyTo(xs.Slice(at, 8));
            x.Slice(at + 16, 8).CopyTo(xs.Slice(at + 8, 8));
            x.Slice(at + 8, 8).CopyTo(xs.Slice(at + 16, 8));
            x.Slice(at + 24, 8).CopyTo(xs.Slice(at + 24, 8));
        }

        x[at..].CopyTo(xs[at..]);
        xs[x.Length..].Clear();
    }

    /// <summary>The column of each place of a 128-column span in lookup order (see <see cref="PermuteX"/>).</summary>
    private static readonly byte[] WideOrder = BuildWideOrder();

    private static byte[] BuildWideOrder()
    {
        var order = new byte[Wide];
        for (int m = 0; m < 8; m++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int p = (4 * lane) + (m / 2);
                order[(16 * m) + lane] = (byte)((16 * (p / 8)) + (p % 8) + (8 * (m % 2)));
            }
        }

        return order;
    }
}
