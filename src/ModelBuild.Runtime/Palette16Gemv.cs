using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Batch-1 (up to <see cref="DirectDense.MaxDirectRows"/> input rows) Dense over a 16-entry palette on AVX2 without AVX-512 (<see cref="Table16GemvZmm"/> there), by byte
/// lookups: a row's table is split into 4 byte planes of 16 bytes (byte b of every entry), and <c>vpshufb</c> looks up
/// 32 codes in each plane at once; two rounds of byte/word unpacks put the 4 bytes of each value back together. That is
/// 3 shuffles per 8 weights, against 2 <c>vpermps</c>, a shift and a blend for two 8-entry lookups
/// (<see cref="Palette16"/>), and the values are the table's floats bit for bit.
/// </summary>
/// <remarks>
/// The unpacks leave the 32 values of a 32-byte code register in lane order, not column order, so x is permuted once
/// per call into that order (<see cref="PermuteX"/>, k floats per input row) instead of moving codes per weight. Codes
/// are <see cref="DirectWeights"/>' 4-bit layout (8 bytes per 16 columns), read 32 bytes (64 columns) at a time; the
/// columns after the last 64 go through <see cref="Palette16"/> lookups and the scalar definition.
/// </remarks>
internal static class Palette16Gemv
{
    private const int Block = 64;

    [ThreadStatic]
    private static float[]? t_x;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep)
    {
        Span<byte> planes = stackalloc byte[128];
        RunBody(x, w, y, rows, in ep, planes);
    }

    // Run's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunBody(ReadOnlySpan<float> x, DirectWeights w, Span<float> y, int rows, in Epilogue ep, Span<byte> planes)
    {
        int n = w.Rows, k = w.Cols, whole = k / Block * Block;
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Span<float> xs = Scratch(Math.Max(rows * whole, 1));
        for (int r = 0; r < rows; r++)
        {
            PermuteX(x.Slice(r * k, whole), xs.Slice(r * whole, whole));
        }

        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float xs0 = ref MemoryMarshal.GetReference(xs);
        int bookA = -1, bookB = -1;
        for (int j = 0; j < n; j += 2)
        {
            int j1 = Math.Min(j + 1, n - 1);
            BuildPlanes(w, j, ref bookA, planes[..64]);
            BuildPlanes(w, j1, ref bookB, planes[64..]);
            ref byte c0 = ref Unsafe.Add(ref w.CodeStart, (nint)j * w.RowBytes);
            ref byte c1 = ref Unsafe.Add(ref w.CodeStart, (nint)j1 * w.RowBytes);
            for (int r = 0; r < rows; r++)
            {
                ref float xr = ref Unsafe.Add(ref x0, (nint)r * k);
                (float d0, float d1) = Pair(ref c0, ref c1, planes, ref Unsafe.Add(ref xs0, (nint)r * whole), whole, prefetch);
                y[(r * n) + j] = ep.Apply(j, d0 + TailDot(w, j, ref c0, ref xr, whole), 0);
                if (j + 1 < n)
                {
                    y[(r * n) + j + 1] = ep.Apply(j + 1, d1 + TailDot(w, j1, ref c1, ref xr, whole), 0);
                }
            }
        }
    }

    /// <summary>Dots of two weight rows' first <paramref name="whole"/> columns with x in lookup order.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (float, float) Pair(ref byte c0, ref byte c1, Span<byte> planes, ref float xs, int whole, bool prefetch)
    {
        return PairBody(ref c0, ref c1, planes, ref xs, whole, prefetch);
    }

    // Pair's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (float, float) PairBody(ref byte c0, ref byte c1, Span<byte> planes, ref float xs, int whole, bool prefetch)
    {
        // Two rows a block: the next two rows start where c1's row ends (rows are consecutive but for the last, odd one).
        byte* next = RowPrefetch.Next(ref c0, 2, Unsafe.ByteOffset(ref c0, ref c1));
        ref byte p = ref MemoryMarshal.GetReference(planes);
        Vector256<byte> p00 = Plane(ref p, 0), p01 = Plane(ref p, 16), p02 = Plane(ref p, 32), p03 = Plane(ref p, 48);
        Vector256<byte> p10 = Plane(ref p, 64), p11 = Plane(ref p, 80), p12 = Plane(ref p, 96), p13 = Plane(ref p, 112);
        Vector256<byte> nibble = Vector256.Create((byte)15);

        // Two accumulators per row so consecutive FMAs do not wait on each other.
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
        for (int i = 0; i < whole; i += Block)
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, i, 2 * Block / 2);
            }

            // 64 columns per row in 32 bytes: low nibbles are the first 32 columns' codes, high nibbles the next 32.
            Vector256<byte> v0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c0, i / 2));
            Vector256<byte> v1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c1, i / 2));
            ref float xb = ref Unsafe.Add(ref xs, i);
            Lookup32(v0 & nibble, p00, p01, p02, p03, ref xb, ref a0, ref b0);
            Lookup32(v1 & nibble, p10, p11, p12, p13, ref xb, ref a1, ref b1);
            ref float xh = ref Unsafe.Add(ref xb, 32);
            Lookup32(Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble, p00, p01, p02, p03, ref xh, ref a0, ref b0);
            Lookup32(Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble, p10, p11, p12, p13, ref xh, ref a1, ref b1);
        }

        return (Vector256.Sum(a0 + b0), Vector256.Sum(a1 + b1));
    }

    /// <summary>The values of 32 codes (one per byte) times 32 permuted x, added into two accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup32(
        Vector256<byte> codes, Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3,
        ref float x, ref Vector256<float> a, ref Vector256<float> b)
    {
        Vector256<byte> b0 = Avx2.Shuffle(q0, codes), b1 = Avx2.Shuffle(q1, codes);
        Vector256<byte> b2 = Avx2.Shuffle(q2, codes), b3 = Avx2.Shuffle(q3, codes);
        Vector256<ushort> lo01 = Avx2.UnpackLow(b0, b1).AsUInt16(), hi01 = Avx2.UnpackHigh(b0, b1).AsUInt16();
        Vector256<ushort> lo23 = Avx2.UnpackLow(b2, b3).AsUInt16(), hi23 = Avx2.UnpackHigh(b2, b3).AsUInt16();
        a = Simd.MulAdd(Avx2.UnpackLow(lo01, lo23).AsSingle(), Vector256.LoadUnsafe(ref x), a);
        b = Simd.MulAdd(Avx2.UnpackHigh(lo01, lo23).AsSingle(), Vector256.LoadUnsafe(ref x, 8), b);
        a = Simd.MulAdd(Avx2.UnpackLow(hi01, hi23).AsSingle(), Vector256.LoadUnsafe(ref x, 16), a);
        b = Simd.MulAdd(Avx2.UnpackHigh(hi01, hi23).AsSingle(), Vector256.LoadUnsafe(ref x, 24), b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Plane(ref byte p, int at)
    {
        Vector128<byte> half = Vector128.LoadUnsafe(ref p, (nuint)at);
        return Vector256.Create(half, half);
    }

    /// <summary>Row <paramref name="row"/>'s table as 4 byte planes (plane b = byte b of entries 0…15), unless its book is the one already there.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildPlanes(DirectWeights w, int row, ref int book, Span<byte> planes)
    {
        BuildPlanesBody(w, row, ref book, planes);
    }

    // BuildPlanes's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BuildPlanesBody(DirectWeights w, int row, ref int book, Span<byte> planes)
    {
        int b = row / w.RowsPerBook;
        if (b == book)
        {
            return;
        }

        book = b;
        ReadOnlySpan<float> table = w.Tables.AsSpan(b * w.TableStride, 16);
        for (int i = 0; i < 16; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(table[i]);
            planes[i] = (byte)bits;
            planes[16 + i] = (byte)(bits >> 8);
            planes[32 + i] = (byte)(bits >> 16);
            planes[48 + i] = (byte)(bits >> 24);
        }
    }

    /// <summary>
    /// x in the order <see cref="Lookup32"/> yields values: code byte p of a 64-column block (p = 16·lane + 4·m + e)
    /// holds column 16·(p / 8) + p % 8 (+ 8 for its high nibble) and its value lands in vector m, element 4·lane + e.
    /// Multiplied by <paramref name="scale"/> on the way (1 here; a power of 2 for <see cref="GridPalette16Gemv"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void PermuteX(ReadOnlySpan<float> x, Span<float> xs, float scale = 1)
    {
        PermuteXBody(x, xs, scale);
    }

    // PermuteX's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PermuteXBody(ReadOnlySpan<float> x, Span<float> xs, float scale = 1)
    {
        for (int block = 0; block < x.Length; block += Block)
        {
            for (int half = 0; half < 2; half++)
            {
                for (int m = 0; m < 4; m++)
                {
                    for (int lane = 0; lane < 2; lane++)
                    {
                        int from = block + (32 * lane) + (16 * (m / 2)) + (4 * (m % 2)) + (8 * half);
                        int to = block + (32 * half) + (8 * m) + (4 * lane);
                        (Vector128.Create(x.Slice(from, 4)) * scale).CopyTo(xs.Slice(to, 4));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Row <paramref name="row"/>'s columns from <paramref name="start"/> (a multiple of 16): 16-code blocks by
    /// <see cref="Palette16"/>, then its last chunk and the scalar rest; 0 without a call when there are none (most
    /// layers: a call per output row that returned 0 cost the wide MLP's 4-bit layers ~5 %).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float TailDot(DirectWeights w, int row, ref byte codes, ref float x, int start) =>
        start == w.Cols ? 0 : TailDotRest(w, row, ref codes, ref x, start);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float TailDotRest(DirectWeights w, int row, ref byte codes, ref float x, int start)
    {
        return TailDotBody(w, row, ref codes, ref x, start);
    }

    // TailDotRest's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TailDotBody(DirectWeights w, int row, ref byte codes, ref float x, int start)
    {
        int k = w.Cols;
        if (start == k)
        {
            return 0;
        }

        ref float table = ref w.Tables[row / w.RowsPerBook * w.TableStride];
        Vector256<float> acc = default;
        int c = start;
        for (; c + 8 <= k; c += 8)
        {
            // Chunk m of 16-code block c / 16: the block's 8 bytes zero-extended, shifted down by 4·m.
            Vector256<int> block = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref codes, c / 16 * 8));
            Vector256<int> chunk = c % 16 == 0 ? block : Vector256.ShiftRightLogical(block, 4);
            acc = Simd.MulAdd(Palette16.Values(chunk, ref table), Vector256.LoadUnsafe(ref x, (nuint)c), acc);
        }

        return Vector256.Sum(acc) + DirectDense.Rest(w, row, ref x);
    }

    private static Span<float> Scratch(int length)
    {
        return ThreadScratch.Get(ref t_x, length);
    }
}
