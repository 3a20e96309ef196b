using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Linear 3-bit codes at batch 1–3 (AVX2) by prefixes, as <see cref="PrefixRows4"/> does for 1/2/4 bits. A 3-byte block
/// holds the 8 codes c_0…c_7 of 8 consecutive columns at bits 3i (docs/FORMATS.md), so as an int32 lane its prefixes
/// P_i = lane &amp; (2^(3(i+1)) − 1) hold c_t·2^(3t) for t ≤ i (P_7, the whole 24 bits, is below 2^24: exact as a
/// float). One vector holds 8 blocks (64 columns, block L in lane L); with x prepared once per call as
/// Y_i[L] = x[8L + i]/2^(3i) − x[8L + i + 1]/2^(3(i+1)) and Y_7[L] = x[8L + 7]/2^21 (<see cref="Blocked3Inputs"/>),
/// Σ_i P_i·Y_i = Σ_t c_t·x_t per lane. Per 8 codes and row: a mask, a convert and an FMA, int8's count (a widening load,
/// a convert, an FMA) over 3/8 of the bytes, instead of the broadcast, variable shift and mask per 8 codes before it
/// (1.13–1.66× int8's time). Gathering 8 blocks into lanes costs two 16-byte loads and a <c>vpshufb</c> per 64 codes.
/// </summary>
/// <remarks>
/// The error bound is <see cref="PrefixRows4"/>'s (each Y_i carries one rounding of a value of x's size), so matrices
/// with a zero-offset group keep the plain kernel as there. Scale groups must be whole 64-column chunks (or one group
/// per row); each group's blocks after its last whole chunk, and the columns after the last whole block, take the
/// plain per-block step and <see cref="Rest"/> over x as given, which the prepared row keeps past its last whole chunk.
/// </remarks>
internal static partial class DirectDense
{
    private const int Chunk3 = 64;

    /// <summary>Whether <see cref="Gemv"/> takes <see cref="Prefix3Rows4"/>: linear 3-bit codes, groups of whole chunks.</summary>
    private static bool Prefix3Codes<TB, TV>(DirectWeights w)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues =>
        TB.Bits == 3 && !TV.IsPalette && !w.HasZeroOffset && (w.GroupsPerRow == 1 || w.Group % Chunk3 == 0);

    /// <summary>
    /// The input rows prepared for the 3-bit kernels, in the per-thread scratch of rows·K floats: per whole chunk of
    /// 8·<paramref name="lanes"/> columns (8: 64, 16: 128 for the 512-bit kernels), vector i holds in lane L either the
    /// prefix difference Y_i of block L (<paramref name="prefixes"/>, <see cref="Prefix3Rows4"/>) or x[8L + i] (x transposed,
    /// <see cref="Palette3Rows4"/>). Columns after the last whole chunk are copied as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ReadOnlySpan<float> Blocked3Inputs(ReadOnlySpan<float> x, int rows, int k, int lanes, bool prefixes)
    {
        return Blocked3InputsBody(x, rows, k, lanes, prefixes);
    }

    // Blocked3Inputs's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<float> Blocked3InputsBody(ReadOnlySpan<float> x, int rows, int k, int lanes, bool prefixes)
    {
        Span<float> prepared = ThreadScratch.Get(ref t_prefixed, rows * k);
        int chunk = 8 * lanes, whole = k / chunk * chunk;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * k, k);
            Span<float> pr = prepared.Slice(r * k, k);
            for (int c = 0; c < whole; c += chunk)
            {
                for (int i = 0; i < 8; i++)
                {
                    for (int lane = 0; lane < lanes; lane++)
                    {
                        // Y_i = x_i/2^(3i) − x_(i+1)/2^(3(i+1)): divisions by powers of two, exact.
                        int at = c + (8 * lane) + i;
                        float v = prefixes ? xr[at] * (1f / (1 << (3 * i))) : xr[at];
                        if (prefixes && i < 7)
                        {
                            v -= xr[at + 1] * (1f / (1 << (3 * (i + 1))));
                        }

                        pr[c + (lanes * i) + lane] = v;
                    }
                }
            }

            xr[whole..].CopyTo(pr[whole..]);
        }

        return prepared;
    }

    /// <summary><see cref="Rows4"/> for linear 3-bit codes over a prepared input row <paramref name="xp"/> (<see cref="Blocked3Inputs"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Prefix3Rows4<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
        where TB : struct, ICodeBlock
    {
        Prefix3Rows4Body<TB>(w, j, ref xp, ref sums, dots);
    }

    // Prefix3Rows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefix3Rows4Body<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
        where TB : struct, ICodeBlock
    {
        int k = w.Cols, last = w.Rows - 1, groups = w.GroupsPerRow, group = w.Group;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref w.CodeStart;
        ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes);
        ref float t0 = ref RowParams<LinearValues>(w, j), t1 = ref RowParams<LinearValues>(w, j1);
        ref float t2 = ref RowParams<LinearValues>(w, j2), t3 = ref RowParams<LinearValues>(w, j3);
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int g = 0; g < groups; g++)
        {
            int firstBlock = g * group / 8, endBlock = Math.Min((g + 1) * group, k) / 8;
            int endChunk = firstBlock + ((endBlock - firstBlock) & ~7);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            ref float xb = ref Unsafe.Add(ref xp, 8 * firstBlock);
            for (nint at = (nint)firstBlock * 3, end = (nint)endChunk * 3; at < end; at += 24, xb = ref Unsafe.Add(ref xb, Chunk3))
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * at, 4 * 24);
                }

                Vector256<int> u0 = Blocks8(ref Unsafe.Add(ref c0, at)), u1 = Blocks8(ref Unsafe.Add(ref c1, at));
                Vector256<int> u2 = Blocks8(ref Unsafe.Add(ref c2, at)), u3 = Blocks8(ref Unsafe.Add(ref c3, at));
                Prefix3(0, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3(1, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3(2, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3(3, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3(4, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3(5, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3(6, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3(7, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
            }

            // A group's blocks after its last whole chunk (one group per row, or the last, partial group): the plain
            // step over x as given, which the prepared row keeps from the last whole chunk of the row on.
            for (int b = endChunk; b < endBlock; b++)
            {
                nint at = (nint)b * TB.BlockBytes;
                ref float xl = ref Unsafe.Add(ref xp, b * 8);
                Vector256<int> v0 = TB.Load(ref Unsafe.Add(ref c0, at)), v1 = TB.Load(ref Unsafe.Add(ref c1, at));
                Vector256<int> v2 = TB.Load(ref Unsafe.Add(ref c2, at)), v3 = TB.Load(ref Unsafe.Add(ref c3, at));
                Step<TB, LinearValues>(0, ref xl, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
            }

            ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, a0 + b0, a1 + b1, a2 + b2, a3 + b3, ref s0, ref s1, ref s2, ref s3);
        }

        StoreDots(w, j, j1, j2, j3, ref xp, s0, s1, s2, s3, dots);
    }

    /// <summary>
    /// 8 consecutive 3-byte blocks (24 bytes from <paramref name="p"/>) as int32 lanes, block L's 24 bits in lane L, its
    /// top byte 0. Reads 28 bytes: the codes array keeps 8 bytes of padding after its last row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Blocks8(ref byte p)
    {
        Vector256<byte> bytes = Vector256.Create(Vector128.LoadUnsafe(ref p), Vector128.LoadUnsafe(ref p, 12));
        Vector256<byte> control = Vector256.Create(
            (byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80,
            0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
        return Avx2.Shuffle(bytes, control).AsInt32();
    }

    /// <summary>Prefix <paramref name="i"/> (a constant at every call) of the 4 rows' 8 blocks times Y_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefix3(
        [ConstantExpected] int i, ref float xb, Vector256<int> u0, Vector256<int> u1, Vector256<int> u2, Vector256<int> u3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
    {
        Vector256<float> y = Vector256.LoadUnsafe(ref xb, (nuint)(8 * i));
        bool whole = i == 7;
        Vector256<int> mask = Vector256.Create((1 << (3 * (i + 1))) - 1);
        a0 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u0 : u0 & mask), y, a0);
        a1 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u1 : u1 & mask), y, a1);
        a2 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u2 : u2 & mask), y, a2);
        a3 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u3 : u3 & mask), y, a3);
    }
}

/// <summary>
/// 8-entry palettes over 3-bit codes at batch 1–3 (AVX2): 8 blocks per vector as <see cref="Prefix3Rows4"/> gathers
/// them, code i of every block moved down by one immediate shift of 3i (vpermps reads only bits 0–2, so no mask), looked
/// up and multiplied by x transposed once per call (<see cref="Blocked3Inputs"/>: x[8L + i] at lane L of vector i). Per
/// 8 codes and row a shift, a vpermps and an FMA, against the broadcast, variable shift, vpermps and FMA of the plain
/// per-block step.
/// </summary>
internal static partial class DirectDense
{
    /// <summary>Whether <see cref="Gemv"/> takes <see cref="Palette3Rows4"/>: 3-bit codes over an 8-entry palette.</summary>
    private static bool Palette3Codes<TB, TV>()
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues => TB.Bits == 3 && TV.IsPalette && TV.TakesRawCodes;

    /// <summary><see cref="Rows4"/> for 3-bit palettes over a transposed input row <paramref name="xt"/> (<see cref="Blocked3Inputs"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Palette3Rows4<TB, TV>(DirectWeights w, int j, ref float xt, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        Palette3Rows4Body<TB, TV>(w, j, ref xt, dots);
    }

    // Palette3Rows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Palette3Rows4Body<TB, TV>(DirectWeights w, int j, ref float xt, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int k = w.Cols, last = w.Rows - 1, blocks = k / 8, chunks = blocks / 8 * 8;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref w.CodeStart;
        ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes);
        ref float t0 = ref RowParams<TV>(w, j), t1 = ref RowParams<TV>(w, j1), t2 = ref RowParams<TV>(w, j2), t3 = ref RowParams<TV>(w, j3);
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        ref float xb = ref xt;
        for (nint at = 0, end = (nint)chunks * 3; at < end; at += 24, xb = ref Unsafe.Add(ref xb, Chunk3))
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, 4 * at, 4 * 24);
            }

            // Two rows at a time: with all four rows' codes live, 16 registers (AVX2 without AVX-512) spilled.
            Rows2Of8Blocks<TV>(ref xb, Blocks8(ref Unsafe.Add(ref c0, at)), Blocks8(ref Unsafe.Add(ref c1, at)), ref t0, ref t1, ref a0, ref a1, ref b0, ref b1);
            Rows2Of8Blocks<TV>(ref xb, Blocks8(ref Unsafe.Add(ref c2, at)), Blocks8(ref Unsafe.Add(ref c3, at)), ref t2, ref t3, ref a2, ref a3, ref b2, ref b3);
        }

        // Blocks after the last whole chunk: the plain per-block step over x as given (kept so past the chunks).
        for (int b = chunks; b < blocks; b++)
        {
            nint at = (nint)b * TB.BlockBytes;
            ref float xl = ref Unsafe.Add(ref xt, b * 8);
            Vector256<int> v0 = TB.Load(ref Unsafe.Add(ref c0, at)), v1 = TB.Load(ref Unsafe.Add(ref c1, at));
            Vector256<int> v2 = TB.Load(ref Unsafe.Add(ref c2, at)), v3 = TB.Load(ref Unsafe.Add(ref c3, at));
            Step<TB, TV>(0, ref xl, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref a0, ref a1, ref a2, ref a3);
        }

        StoreDots(w, j, j1, j2, j3, ref xt, a0 + b0, a1 + b1, a2 + b2, a3 + b3, dots);
    }

    /// <summary>Two rows' 8 blocks (64 codes each) looked up and dotted with the transposed x: even codes into a, odd into b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows2Of8Blocks<TV>(
        ref float xb, Vector256<int> u0, Vector256<int> u1, ref float t0, ref float t1,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> b0, ref Vector256<float> b1)
        where TV : struct, ICodeValues
    {
        Lookup3<TV>(0, ref xb, u0, u1, ref t0, ref t1, ref a0, ref a1);
        Lookup3<TV>(1, ref xb, u0, u1, ref t0, ref t1, ref b0, ref b1);
        Lookup3<TV>(2, ref xb, u0, u1, ref t0, ref t1, ref a0, ref a1);
        Lookup3<TV>(3, ref xb, u0, u1, ref t0, ref t1, ref b0, ref b1);
        Lookup3<TV>(4, ref xb, u0, u1, ref t0, ref t1, ref a0, ref a1);
        Lookup3<TV>(5, ref xb, u0, u1, ref t0, ref t1, ref b0, ref b1);
        Lookup3<TV>(6, ref xb, u0, u1, ref t0, ref t1, ref a0, ref a1);
        Lookup3<TV>(7, ref xb, u0, u1, ref t0, ref t1, ref b0, ref b1);
    }

    /// <summary>Code <paramref name="i"/> (a constant at every call) of two rows' 8 blocks, looked up, times x's vector i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup3<TV>(
        [ConstantExpected] int i, ref float xb, Vector256<int> u0, Vector256<int> u1, ref float t0, ref float t1,
        ref Vector256<float> a0, ref Vector256<float> a1)
        where TV : struct, ICodeValues
    {
        Vector256<float> x = Vector256.LoadUnsafe(ref xb, (nuint)(8 * i));
        a0 = Simd.MulAdd(TV.Values(i == 0 ? u0 : Vector256.ShiftRightLogical(u0, 3 * i), ref t0), x, a0);
        a1 = Simd.MulAdd(TV.Values(i == 0 ? u1 : Vector256.ShiftRightLogical(u1, 3 * i), ref t1), x, a1);
    }
}
