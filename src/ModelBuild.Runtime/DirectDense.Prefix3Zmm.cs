using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="Prefix3Rows4"/> and <see cref="Palette3Rows4"/> in 512-bit vectors: 16 blocks (128 columns) per vector,
/// inputs prepared with 16 lanes (<see cref="Blocked3Inputs"/>). Like the other 512-bit
/// kernels they have no ReadyToRun code (AggressiveOptimization: compiled once, straight to optimised code).
/// </summary>
internal static partial class DirectDense
{
    /// <summary><see cref="Prefix3Rows4"/> with 16 blocks per vector; scale groups are whole 128-column chunks or one per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Prefix3Rows4Zmm<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
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
            int endChunk = firstBlock + ((endBlock - firstBlock) & ~15);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            ref float xb = ref Unsafe.Add(ref xp, 8 * firstBlock);
            for (nint at = (nint)firstBlock * 3, end = (nint)endChunk * 3; at < end; at += 48, xb = ref Unsafe.Add(ref xb, 2 * Chunk3))
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * at, 4 * 48);
                }

                Vector512<int> u0 = Blocks16(ref Unsafe.Add(ref c0, at)), u1 = Blocks16(ref Unsafe.Add(ref c1, at));
                Vector512<int> u2 = Blocks16(ref Unsafe.Add(ref c2, at)), u3 = Blocks16(ref Unsafe.Add(ref c3, at));
                Prefix3Zmm(0, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3Zmm(1, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3Zmm(2, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3Zmm(3, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3Zmm(4, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3Zmm(5, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                Prefix3Zmm(6, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                Prefix3Zmm(7, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
            }

            Vector256<float> r0 = Fold(a0 + b0), r1 = Fold(a1 + b1), r2 = Fold(a2 + b2), r3 = Fold(a3 + b3);
            LeftoverBlocks<TB, LinearValues>(endChunk, endBlock, ref xp, ref c0, ref c1, ref c2, ref c3, ref t0, ref t1, ref t2, ref t3, ref r0, ref r1, ref r2, ref r3);

            ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, r0, r1, r2, r3, ref s0, ref s1, ref s2, ref s3);
        }

        StoreDots(w, j, j1, j2, j3, ref xp, s0, s1, s2, s3, dots);
    }

    /// <summary><see cref="Palette3Rows4"/> with 16 blocks per vector (each row's 8-entry table in both halves of a register).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Palette3Rows4Zmm<TB, TV>(DirectWeights w, int j, ref float xt, Span<float> dots)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        int k = w.Cols, last = w.Rows - 1, blocks = k / 8, chunks = blocks / 16 * 16;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref w.CodeStart;
        ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes);
        ref float t0 = ref RowParams<TV>(w, j), t1 = ref RowParams<TV>(w, j1), t2 = ref RowParams<TV>(w, j2), t3 = ref RowParams<TV>(w, j3);
        Vector512<float> q0 = Table8x2(ref t0), q1 = Table8x2(ref t1), q2 = Table8x2(ref t2), q3 = Table8x2(ref t3);
        byte* next = RowPrefetch.Next(ref c0, 4, w.RowBytes);
        bool prefetch = RowPrefetch.For(w.Rows, w.RowBytes);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        ref float xb = ref xt;
        for (nint at = 0, end = (nint)chunks * 3; at < end; at += 48, xb = ref Unsafe.Add(ref xb, 2 * Chunk3))
        {
            if (prefetch)
            {
                RowPrefetch.Step(next, 4 * at, 4 * 48);
            }

            Vector512<int> u0 = Blocks16(ref Unsafe.Add(ref c0, at)), u1 = Blocks16(ref Unsafe.Add(ref c1, at));
            Vector512<int> u2 = Blocks16(ref Unsafe.Add(ref c2, at)), u3 = Blocks16(ref Unsafe.Add(ref c3, at));
            Lookup3Zmm(0, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref a0, ref a1, ref a2, ref a3);
            Lookup3Zmm(1, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref b0, ref b1, ref b2, ref b3);
            Lookup3Zmm(2, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref a0, ref a1, ref a2, ref a3);
            Lookup3Zmm(3, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref b0, ref b1, ref b2, ref b3);
            Lookup3Zmm(4, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref a0, ref a1, ref a2, ref a3);
            Lookup3Zmm(5, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref b0, ref b1, ref b2, ref b3);
            Lookup3Zmm(6, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref a0, ref a1, ref a2, ref a3);
            Lookup3Zmm(7, ref xb, u0, u1, u2, u3, q0, q1, q2, q3, ref b0, ref b1, ref b2, ref b3);
        }

        Vector256<float> r0 = Fold(a0 + b0), r1 = Fold(a1 + b1), r2 = Fold(a2 + b2), r3 = Fold(a3 + b3);
        LeftoverBlocks<TB, TV>(chunks, blocks, ref xt, ref c0, ref c1, ref c2, ref c3, ref t0, ref t1, ref t2, ref t3, ref r0, ref r1, ref r2, ref r3);

        StoreDots(w, j, j1, j2, j3, ref xt, r0, r1, r2, r3, dots);
    }

    /// <summary>
    /// Blocks <paramref name="from"/> … <paramref name="to"/> − 1 of four rows one 8-code block at a time (256-bit
    /// <see cref="Step{TB, TV}"/>): what a 512-bit kernel leaves after its chunks of 16 blocks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LeftoverBlocks<TB, TV>(
        int from, int to, ref float x, ref byte c0, ref byte c1, ref byte c2, ref byte c3,
        ref float t0, ref float t1, ref float t2, ref float t3,
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3)
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues
    {
        for (int b = from; b < to; b++)
        {
            nint at = (nint)b * TB.BlockBytes;
            ref float xl = ref Unsafe.Add(ref x, b * 8);
            Vector256<int> v0 = TB.Load(ref Unsafe.Add(ref c0, at)), v1 = TB.Load(ref Unsafe.Add(ref c1, at));
            Vector256<int> v2 = TB.Load(ref Unsafe.Add(ref c2, at)), v3 = TB.Load(ref Unsafe.Add(ref c3, at));
            Step<TB, TV>(0, ref xl, v0, v1, v2, v3, ref t0, ref t1, ref t2, ref t3, ref r0, ref r1, ref r2, ref r3);
        }
    }

    /// <summary>16 consecutive 3-byte blocks (48 bytes) as int32 lanes, block L's 24 bits in lane L, top byte 0; reads 52 bytes (see <see cref="Blocks8"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Blocks16(ref byte p)
    {
        Vector512<byte> bytes = Vector512.Create(
            Vector256.Create(Vector128.LoadUnsafe(ref p), Vector128.LoadUnsafe(ref p, 12)),
            Vector256.Create(Vector128.LoadUnsafe(ref p, 24), Vector128.LoadUnsafe(ref p, 36)));
        Vector512<byte> control = Vector512.Create(
            (byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80,
            0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80,
            0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80,
            0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
        return Avx512BW.Shuffle(bytes, control).AsInt32();
    }

    /// <summary>An 8-entry table in both 256-bit halves: vpermps over 16 lanes reads bits 0–3, bit 3 picks the (same) half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Table8x2(ref float table)
    {
        Vector256<float> t = Vector256.LoadUnsafe(ref table);
        return Vector512.Create(t, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefix3Zmm(
        [ConstantExpected] int i, ref float xb, Vector512<int> u0, Vector512<int> u1, Vector512<int> u2, Vector512<int> u3,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        Vector512<float> y = Vector512.LoadUnsafe(ref xb, (nuint)(16 * i));
        bool whole = i == 7;
        Vector512<int> mask = Vector512.Create((1 << (3 * (i + 1))) - 1);
        a0 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u0 : u0 & mask), y, a0);
        a1 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u1 : u1 & mask), y, a1);
        a2 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u2 : u2 & mask), y, a2);
        a3 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u3 : u3 & mask), y, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lookup3Zmm(
        [ConstantExpected] int i, ref float xb, Vector512<int> u0, Vector512<int> u1, Vector512<int> u2, Vector512<int> u3,
        Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        Vector512<float> x = Vector512.LoadUnsafe(ref xb, (nuint)(16 * i));
        a0 = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(q0, i == 0 ? u0 : Vector512.ShiftRightLogical(u0, 3 * i)), x, a0);
        a1 = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(q1, i == 0 ? u1 : Vector512.ShiftRightLogical(u1, 3 * i)), x, a1);
        a2 = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(q2, i == 0 ? u2 : Vector512.ShiftRightLogical(u2, 3 * i)), x, a2);
        a3 = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(q3, i == 0 ? u3 : Vector512.ShiftRightLogical(u3, 3 * i)), x, a3);
    }
}
