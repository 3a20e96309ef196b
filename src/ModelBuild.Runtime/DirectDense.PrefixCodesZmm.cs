using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="PrefixRows4"/> at 512 bits (AVX-512): two consecutive 8-byte blocks are zero-extended into the 16 lanes
/// of one register (one <c>vpmovzxbd</c>), so each mask, convert and FMA covers 16 codes of a row instead of 8, as
/// int8's 512-bit GEMV does (<see cref="DenseBlocksZmm"/>); without it a 4-bit row ran 1.7× int8's time on an AVX-512
/// machine. The prepared input holds each pair's Y_i side by side (<see cref="PrefixRow"/>, paired). Taken when every
/// scale group starts on an even block (<see cref="PairedBlocks"/>); a group's last unpaired block takes the 256-bit step.
/// </summary>
internal static partial class DirectDense
{
    /// <summary>Whether <see cref="Gemv"/> takes <see cref="PrefixRows4Zmm"/>: 512-bit vectors and groups of whole block pairs.</summary>
    private static bool PairedBlocks<TB>(DirectWeights w)
        where TB : struct, ICodeBlock =>
        Wide512.Enabled && (w.GroupsPerRow == 1 || w.Group % (2 * TB.BlockCodes) == 0);

    /// <summary>As <see cref="PrefixRows4"/>, over an input row prepared in pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PrefixRows4Zmm<TB>(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
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
            int endPair = firstBlock + ((endBlock - firstBlock) & ~1);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            ref float xb = ref Unsafe.Add(ref xp, TB.BlockCodes * firstBlock);
            for (nint at = (nint)firstBlock * 8, end = (nint)endPair * 8; at < end; at += 16, xb = ref Unsafe.Add(ref xb, 2 * TB.BlockCodes))
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * at, 4 * 16);
                }

                Vector512<int> u0 = LoadPair(ref Unsafe.Add(ref c0, at)), u1 = LoadPair(ref Unsafe.Add(ref c1, at));
                Vector512<int> u2 = LoadPair(ref Unsafe.Add(ref c2, at)), u3 = LoadPair(ref Unsafe.Add(ref c3, at));
                PrefixZmm<TB>(0, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                PrefixZmm<TB>(1, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                if (TB.Bits <= 2)
                {
                    PrefixZmm<TB>(2, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                    PrefixZmm<TB>(3, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                }

                if (TB.Bits == 1)
                {
                    PrefixZmm<TB>(4, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                    PrefixZmm<TB>(5, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                    PrefixZmm<TB>(6, ref xb, u0, u1, u2, u3, ref a0, ref a1, ref a2, ref a3);
                    PrefixZmm<TB>(7, ref xb, u0, u1, u2, u3, ref b0, ref b1, ref b2, ref b3);
                }
            }

            Vector256<float> r0 = Fold(a0 + b0), r1 = Fold(a1 + b1), r2 = Fold(a2 + b2), r3 = Fold(a3 + b3);
            if (endPair < endBlock)
            {
                // The group's last block has no partner: one 256-bit step over it (prepared in the plain order).
                nint at = (nint)endPair * 8;
                ref float xl = ref Unsafe.Add(ref xp, TB.BlockCodes * endPair);
                Vector256<int> u0 = TB.Load(ref Unsafe.Add(ref c0, at)), u1 = TB.Load(ref Unsafe.Add(ref c1, at));
                Vector256<int> u2 = TB.Load(ref Unsafe.Add(ref c2, at)), u3 = TB.Load(ref Unsafe.Add(ref c3, at));
                BlockPrefixes<TB>(ref xl, u0, u1, u2, u3, ref r0, ref r1, ref r2, ref r3, ref r0, ref r1, ref r2, ref r3);
            }

            ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, r0, r1, r2, r3, ref s0, ref s1, ref s2, ref s3);
        }

        StoreDots(w, j, j1, j2, j3, ref xp, s0, s1, s2, s3, dots);
    }

    /// <summary>Two consecutive 8-byte blocks zero-extended: the first block's bytes in lanes 0–7, the second's in 8–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> LoadPair(ref byte p) => Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref p));

    /// <summary>Prefix <paramref name="i"/> (a constant at every call) of the 4 rows' block pairs times the pair's Y_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefixZmm<TB>(
        [ConstantExpected] int i, ref float xb, Vector512<int> u0, Vector512<int> u1, Vector512<int> u2, Vector512<int> u3,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
        where TB : struct, ICodeBlock
    {
        Vector512<float> y = Vector512.LoadUnsafe(ref xb, (nuint)(16 * i));
        bool whole = (i + 1) * TB.Bits == 8;
        Vector512<int> mask = Vector512.Create((1 << (TB.Bits * (i + 1))) - 1);
        a0 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u0 : u0 & mask), y, a0);
        a1 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u1 : u1 & mask), y, a1);
        a2 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u2 : u2 & mask), y, a2);
        a3 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(whole ? u3 : u3 & mask), y, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();
}
