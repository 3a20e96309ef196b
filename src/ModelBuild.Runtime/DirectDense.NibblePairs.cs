using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// 4-bit linear codes at batch 1–3 (AVX2). Byte j of a 16-code block is u = lo + 16·hi (lo = code j, hi = code j + 8).
/// With the block's x prepared once per call as p = x[0..8] − x[8..16]/16 and q = x[8..16]/16 (<see cref="PairInputs"/>),
/// u·q + lo·p = lo·x[j] + hi·x[j + 8]: the whole byte is converted as it is and only the low code is masked, so a block
/// costs 6 operations per row (widening load, and, 2 converts, 2 FMAs), what int8 pays for 16 weights, where splitting
/// both codes takes 7. The cancelled terms (lo·x[j + 8]/16) are smaller than the kept ones, so the rounding error stays
/// that of the plain dot (tests: DirectDenseTests against float64).
/// </summary>
internal static partial class DirectDense
{
    [ThreadStatic]
    private static float[]? t_pairs;

    /// <summary>Whether <see cref="Gemv"/> takes <see cref="PairRows4"/> (4-bit linear codes); a JIT-time constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NibblePairs<TB, TV>()
        where TB : struct, ICodeBlock
        where TV : struct, ICodeValues => TB.Bits == 4 && !TV.IsPalette;

    /// <summary>The input rows in <see cref="PairRows4"/>'s form, in a per-thread scratch of rows·K floats.</summary>
    private static ReadOnlySpan<float> PairInputs(ReadOnlySpan<float> x, int rows, int k)
    {
        Span<float> paired = ThreadScratch.Get(ref t_pairs, rows * k);
        for (int r = 0; r < rows; r++)
        {
            PairRow(x.Slice(r * k, k), paired.Slice(r * k, k));
        }

        return paired;
    }

    /// <summary>
    /// One input row: per whole 16-column block [x[0..8] − x[8..16]/16, x[8..16]/16] (the division by 16 is exact); the
    /// columns after the last whole block are copied, as the tail kernels read them as they are.
    /// </summary>
    private static void PairRow(ReadOnlySpan<float> x, Span<float> paired)
    {
        int whole = x.Length / 16 * 16;
        ref float src = ref MemoryMarshal.GetReference(x);
        ref float dst = ref MemoryMarshal.GetReference(paired);
        for (int c = 0; c < whole; c += 16)
        {
            Vector256<float> high = Vector256.LoadUnsafe(ref src, (nuint)(c + 8)) * 0.0625f;
            (Vector256.LoadUnsafe(ref src, (nuint)c) - high).StoreUnsafe(ref dst, (nuint)c);
            high.StoreUnsafe(ref dst, (nuint)(c + 8));
        }

        x[whole..].CopyTo(paired[whole..]);
    }

    /// <summary>
    /// <see cref="Rows4"/> for 4-bit linear codes over a paired input row <paramref name="xp"/>: two accumulators per
    /// weight row (the u·q and lo·p products), 8 independent FMA chains, each row's block loaded just before its use so
    /// the 8 accumulators, p, q and the mask stay in registers.
    /// </summary>
    private static void PairRows4(DirectWeights w, int j, ref float xp, ref float sums, Span<float> dots)
    {
        int k = w.Cols, last = w.Rows - 1, groups = w.GroupsPerRow, group = w.Group;
        int j1 = Math.Min(j + 1, last), j2 = Math.Min(j + 2, last), j3 = Math.Min(j + 3, last);
        ref byte codes = ref MemoryMarshal.GetArrayDataReference(w.Codes);
        ref byte c0 = ref Unsafe.Add(ref codes, (nint)j * w.RowBytes);
        ref byte c1 = ref Unsafe.Add(ref codes, (nint)j1 * w.RowBytes);
        ref byte c2 = ref Unsafe.Add(ref codes, (nint)j2 * w.RowBytes);
        ref byte c3 = ref Unsafe.Add(ref codes, (nint)j3 * w.RowBytes);
        ref float t0 = ref RowParams<LinearValues>(w, j), t1 = ref RowParams<LinearValues>(w, j1);
        ref float t2 = ref RowParams<LinearValues>(w, j2), t3 = ref RowParams<LinearValues>(w, j3);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<int> low = Vector256.Create(15);
        for (int g = 0; g < groups; g++)
        {
            int firstBlock = g * group / 16, endBlock = Math.Min((g + 1) * group, k) / 16;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            // Offsets as nint counters (codes +8 bytes, x +16 floats per block): no index arithmetic in the loop, which
            // is bound by its instruction count rather than by any one execution port.
            ref float xb = ref Unsafe.Add(ref xp, 16 * firstBlock);
            for (nint at = (nint)firstBlock * 8, end = (nint)endBlock * 8; at < end; at += 8, xb = ref Unsafe.Add(ref xb, 16))
            {
                Vector256<float> p = Vector256.LoadUnsafe(ref xb), q = Vector256.LoadUnsafe(ref xb, 8);
                Vector256<int> u = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c0, at));
                a0 = Simd.MulAdd(Avx.ConvertToVector256Single(u), q, a0);
                b0 = Simd.MulAdd(Avx.ConvertToVector256Single(u & low), p, b0);
                u = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c1, at));
                a1 = Simd.MulAdd(Avx.ConvertToVector256Single(u), q, a1);
                b1 = Simd.MulAdd(Avx.ConvertToVector256Single(u & low), p, b1);
                u = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c2, at));
                a2 = Simd.MulAdd(Avx.ConvertToVector256Single(u), q, a2);
                b2 = Simd.MulAdd(Avx.ConvertToVector256Single(u & low), p, b2);
                u = SplitBlock<FourBits>.Load(ref Unsafe.Add(ref c3, at));
                a3 = Simd.MulAdd(Avx.ConvertToVector256Single(u), q, a3);
                b3 = Simd.MulAdd(Avx.ConvertToVector256Single(u & low), p, b3);
            }

            ScaleGroup(w, g, Vector256.LoadUnsafe(ref sums, (nuint)(8 * g)), j, j1, j2, j3, ref t0, ref t1, ref t2, ref t3, a0 + b0, a1 + b1, a2 + b2, a3 + b3, ref s0, ref s1, ref s2, ref s3);
        }

        dots[0] = Vector256.Sum(s0) + Rest(w, j, ref xp);
        dots[1] = Vector256.Sum(s1) + Rest(w, j1, ref xp);
        dots[2] = Vector256.Sum(s2) + Rest(w, j2, ref xp);
        dots[3] = Vector256.Sum(s3) + Rest(w, j3, ref xp);
    }
}
