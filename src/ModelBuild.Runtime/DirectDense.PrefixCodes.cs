using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// Linear 1-, 2- and 4-bit codes at batch 1–3 (AVX2) without taking codes apart. Byte j of an 8-byte block holds the
/// m = 8/b codes c_i of columns j + 8i at bits b·i. Its prefixes P_i = byte &amp; (2^(b(i+1)) − 1) (the last is the whole
/// byte) contain c_t·2^(bt) for t ≤ i, so with the block's x prepared once per call as
/// Y_i = x_i/2^(bi) − x_(i+1)/2^(b(i+1)) and Y_(m−1) = x_(m−1)/2^(b(m−1)) (x_i = the 8 columns 8i…8i+7; <see cref="PrefixInputs"/>),
/// Σ_i P_i·Y_i = Σ_t c_t·x_t. Per 8 codes and row that is under one mask, one convert and one FMA: int8's count
/// (a widening load, a convert, an FMA) over a half, a quarter or an eighth of the bytes, with no shift and no
/// vpermps (which AMD Zen 2/3 run at a fraction of Intel's rate: 2-bit codes through vpermps ran 1.9× int8 there).
/// Each Y_i carries one rounding of a value of x's size, so the error is float32 rounding of Σ|x| over the block: the
/// bound the offset·Σx correction already gives every group with a nonzero offset (where a weight of 0 is code = offset,
/// and its input enters u·x and offset·Σx both). Groups whose offset is 0 make code 0 an exact zero that the plain dot
/// ignores, so matrices with such groups keep the unshifted kernel (<see cref="DirectWeights.HasZeroOffset"/>).
/// DirectDenseTests compare both with float64.
/// </summary>
internal static partial class DirectDense
{
    [ThreadStatic]
    private static float[]? t_prefixed;

    /// <summary>Whether <see cref="Gemv"/> takes <see cref="PrefixRows4"/> (linear 1/2/4-bit codes); a JIT-time constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PrefixCodes<TB, TV>()
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues => !TV.IsPalette && TB.Bits != 3;

    /// <summary>
    /// The input rows in <see cref="PrefixRows4"/>'s form, in a per-thread scratch of rows·K floats; with
    /// <paramref name="paired"/>, in <see cref="PrefixRows4Zmm"/>'s (each pair of blocks' Y_i side by side).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ReadOnlySpan<float> PrefixInputs(ReadOnlySpan<float> x, int rows, int k, int bits, bool paired)
    {
        return PrefixInputsBody(x, rows, k, bits, paired);
    }

    // PrefixInputs's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<float> PrefixInputsBody(ReadOnlySpan<float> x, int rows, int k, int bits, bool paired)
    {
        Span<float> prepared = ThreadScratch.Get(ref t_prefixed, rows * k);
        for (int r = 0; r < rows; r++)
        {
            PrefixRow(x.Slice(r * k, k), prepared.Slice(r * k, k), bits, paired);
        }

        return prepared;
    }

    /// <summary>
    /// One input row: per whole block of 8m columns the Y_i above (the divisions are by powers of two, exact), at
    /// <c>c + 8i</c> for the block at column c; paired, blocks 2p and 2p + 1 put theirs at <c>c₂ₚ + 16i</c> and
    /// <c>c₂ₚ + 16i + 8</c> (a last unpaired block keeps the plain order). The columns after the last whole block are
    /// copied, as the tail kernels read them as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PrefixRow(ReadOnlySpan<float> x, Span<float> prepared, int bits, bool paired)
    {
        PrefixRowBody(x, prepared, bits, paired);
    }

    // PrefixRow's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefixRowBody(ReadOnlySpan<float> x, Span<float> prepared, int bits, bool paired)
    {
        int m = 8 / bits, block = 8 * m, blocks = x.Length / block, whole = blocks * block;
        int pairedBlocks = paired ? blocks / 2 * 2 : 0;
        ref float src = ref MemoryMarshal.GetReference(x);
        ref float dst = ref MemoryMarshal.GetReference(prepared);
        for (int b = 0; b < blocks; b++)
        {
            int c = b * block;

            // Paired: Y_i of the pair's first block at lanes 0–7 of 16-float row i, the second block's at lanes 8–15.
            (int first, int step) = b < pairedBlocks ? ((b & ~1) * block + (8 * (b & 1)), 16) : (c, 8);
            Vector256<float> next = Vector256.LoadUnsafe(ref src, (nuint)c);
            for (int i = 0; i < m; i++)
            {
                Vector256<float> current = next;
                Vector256<float> y = current * Vector256.Create(1f / (1 << (bits * i)));
                if (i + 1 < m)
                {
                    next = Vector256.LoadUnsafe(ref src, (nuint)(c + (8 * (i + 1))));
                    y -= next * Vector256.Create(1f / (1 << (bits * (i + 1))));
                }

                y.StoreUnsafe(ref dst, (nuint)(first + (step * i)));
            }
        }

        x[whole..].CopyTo(prepared[whole..]);
    }

    /// <summary>
    /// <see cref="Rows4"/> for linear 1/2/4-bit codes over a prepared input row <paramref name="xp"/>: two accumulators
    /// per weight row (even and odd prefixes), 8 independent FMA chains; loop offsets are nint counters, since the loop
    /// is bound by its instruction count rather than by any one execution port.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PrefixRows4<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
        where TB : struct, ICodeBlock
    {
        PrefixRows4Body<TB>(w, j, ref xp, ref sums, dots);
    }

    // PrefixRows4's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefixRows4Body<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
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
            int firstBlock = g * group / TB.BlockCodes, endBlock = Math.Min((g + 1) * group, k) / TB.BlockCodes;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            ref float xb = ref Unsafe.Add(ref xp, TB.BlockCodes * firstBlock);
            for (nint at = (nint)firstBlock * 8, end = (nint)endBlock * 8; at < end; at += 8, xb = ref Unsafe.Add(ref xb, TB.BlockCodes))
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * at, 4 * 8);
                }

                Vector256<int> u0 = TB.Load(ref Unsafe.Add(ref c0, at)), u1 = TB.Load(ref Unsafe.Add(ref c1, at));
                Vector256<int> u2 = TB.Load(ref Unsafe.Add(ref c2, at)), u3 = TB.Load(ref Unsafe.Add(ref c3, at));
                BlockPrefixes<TB>(ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
            }

            ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, a0 + b0, a1 + b1, a2 + b2, a3 + b3, ref s0, ref s1, ref s2, ref s3);
        }

        StoreDots(w, j, j1, j2, j3, ref xp, s0, s1, s2, s3, dots);
    }

    /// <summary>
    /// All m prefixes of one block of the 4 rows: even ones into a0…a3, odd ones into b0…b3 (two FMA chains per row; the
    /// same accumulators may be passed for both).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockPrefixes<TB>(
        ref float xb, Vector256<int> u0, Vector256<int> u1, Vector256<int> u2, Vector256<int> u3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3,
        ref Vector256<float> b0, ref Vector256<float> b1, ref Vector256<float> b2, ref Vector256<float> b3)
        where TB : struct, ICodeBlock
    {
        Prefix<TB>(0, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
        Prefix<TB>(1, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
        if (TB.Bits <= 2)
        {
            Prefix<TB>(2, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
            Prefix<TB>(3, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
        }

        if (TB.Bits == 1)
        {
            Prefix<TB>(4, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
            Prefix<TB>(5, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
            Prefix<TB>(6, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
            Prefix<TB>(7, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
        }
    }

    /// <summary>Prefix <paramref name="i"/> (a constant at every call) of the 4 rows' blocks times Y_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefix<TB>(
        [ConstantExpected] int i, ref float xb, Vector256<int> u0, Vector256<int> u1, Vector256<int> u2, Vector256<int> u3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
        where TB : struct, ICodeBlock
    {
        Vector256<float> y = Vector256.LoadUnsafe(ref xb, (nuint)(8 * i));
        bool whole = (i + 1) * TB.Bits == 8;
        Vector256<int> mask = Vector256.Create((1 << (TB.Bits * (i + 1))) - 1);
        a0 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u0 : u0 & mask), y, a0);
        a1 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u1 : u1 & mask), y, a1);
        a2 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u2 : u2 & mask), y, a2);
        a3 = Simd.MulAdd(Avx.ConvertToVector256Single(whole ? u3 : u3 & mask), y, a3);
    }
}
