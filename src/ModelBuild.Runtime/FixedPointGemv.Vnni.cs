using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// The GEMV's AVX-VNNI form (<see cref="VnniSwitch"/>): x̂ (the same 16-bit codes) split into bytes, x̂ = 256·h + l with
/// h = x̂ &gt;&gt; 8 signed and l = x̂ &amp; 255 unsigned, so 32 weights of a row cost one load, one <c>vpxor</c> and two
/// <c>vpdpbusd</c> (4 byte products summed into each int32 lane, the accumulation included) where the AVX2 form takes
/// two <c>vpmovsxbw</c>, two <c>vpmaddwd</c> and two <c>vpaddd</c>.
/// </summary>
/// <remarks>
/// <c>vpdpbusd</c> multiplies unsigned by signed bytes. l is the unsigned operand against q as is; for h the weights
/// are made unsigned, q ⊕ 0x80 = q + 128, so Σ(q + 128)·h = Σq·h + 128·Σh, and 256·that + Σq·l = Σq·x̂ + 2^15·Σh,
/// whose last term depends on x alone: it is computed once per call and block (<see cref="SplitBytes"/>). Exact in
/// int32: per block a lane sums 32 products of at most 255·128 in each part, so 256·|Σ(q + 128)·h| &lt; 2^28, and
/// 2^15·|Σh| ≤ 2^15·256·128 = 2^30, taken off lane 0; int32 adds wrap, so the lanes' sum is the block's Σq·x̂
/// (|Σ| ≤ 2^30) whatever partial sums pass through on the way. Columns past the last whole 32 take the AVX2 form's
/// 16-column step and scalar tail, on the same codes, so both forms reach the same block sums and give the same bits.
/// </remarks>
internal static partial class FixedPointGemv
{
    /// <summary>Columns per <c>vpdpbusd</c> pass: the byte form runs on matrices at least this wide.</summary>
    private const int VnniColumns = 32;

    [ThreadStatic]
    private static byte[]? t_bytes;

    [ThreadStatic]
    private static int[]? t_corrections;

    /// <summary>
    /// Each row's codes over its whole 32-column groups split into h (signed bytes, at 2k·r) and l (unsigned, at
    /// 2k·r + k), and per block 2^15·Σh over those columns (at r·blocks of <paramref name="corrections"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Span<byte> SplitBytes(Span<short> codes, int rows, int k, int kPad, int blocks, out Span<int> corrections)
    {
        Span<byte> bytes = ThreadScratch.Get(ref t_bytes, 2 * rows * k);
        corrections = ThreadScratch.Get(ref t_corrections, rows * blocks);
        SplitBytesBody(codes, rows, k, kPad, blocks, bytes, corrections);
        return bytes;
    }

    // SplitBytes's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitBytesBody(Span<short> codes, int rows, int k, int kPad, int blocks, Span<byte> bytes, Span<int> corrections)
    {
        int whole = k & ~(VnniColumns - 1);
        var one = Vector256.Create((short)1);
        var low = Vector256.Create((short)0xFF);
        for (int r = 0; r < rows; r++)
        {
            ref short q = ref codes[r * kPad];
            ref byte h = ref bytes[2 * r * k];
            ref byte l = ref Unsafe.Add(ref h, k);
            for (int b = 0; b < blocks; b++)
            {
                int start = b * BlockSize, end = Math.Min(whole, start + BlockSize);
                Vector256<int> sum = default;
                for (int c = start; c < end; c += VnniColumns)
                {
                    Vector256<short> a = Vector256.LoadUnsafe(ref q, (nuint)c), z = Vector256.LoadUnsafe(ref q, (nuint)(c + 16));
                    Vector256<short> ha = Vector256.ShiftRightArithmetic(a, 8), hz = Vector256.ShiftRightArithmetic(z, 8);
                    sum += Avx2.MultiplyAddAdjacent(ha, one) + Avx2.MultiplyAddAdjacent(hz, one);

                    // vpacksswb / vpackuswb pack within 128-bit lanes; vpermq puts the four quarters back in column order.
                    Vector256<sbyte> hPacked = Avx2.PackSignedSaturate(ha, hz);
                    Vector256<byte> lPacked = Avx2.PackUnsignedSaturate(a & low, z & low);
                    Avx2.Permute4x64(hPacked.AsInt64(), 0b11_01_10_00).AsByte().StoreUnsafe(ref h, (nuint)c);
                    Avx2.Permute4x64(lPacked.AsInt64(), 0b11_01_10_00).AsByte().StoreUnsafe(ref l, (nuint)c);
                }

                corrections[(r * blocks) + b] = Vector256.Sum(sum) << 15;
            }
        }
    }

    /// <summary>As <see cref="Rows4"/>, through <c>vpdpbusd</c> on the split bytes (<paramref name="xBytes"/>: h, then l at +k).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows4Vnni(
        ref sbyte q0, int n, int k, int j, ref short xq, ref byte xBytes, ref int corrections, ref float steps, Span<float> dots, bool prefetch)
    {
        int last = n - 1, whole = k & ~(VnniColumns - 1), whole16 = k & ~15;
        ref sbyte r0 = ref Unsafe.Add(ref q0, (nint)j * k);
        ref sbyte r1 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 1, last) * k);
        ref sbyte r2 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 2, last) * k);
        ref sbyte r3 = ref Unsafe.Add(ref q0, (nint)Math.Min(j + 3, last) * k);
        ref sbyte xh = ref Unsafe.As<byte, sbyte>(ref xBytes);
        ref byte xl = ref Unsafe.Add(ref xBytes, k);
        byte* next = RowPrefetch.Next(ref Unsafe.As<sbyte, byte>(ref r0), 4, k);
        var flip = Vector256.Create(unchecked((sbyte)0x80));
        Vector128<float> f = default;
        for (int start = 0, b = 0; start < k; start += BlockSize, b++)
        {
            int end = Math.Min(k, start + BlockSize), bytesEnd = Math.Min(end, whole), vectorEnd = Math.Min(end, whole16);
            Vector256<int> h0 = default, h1 = default, h2 = default, h3 = default;
            Vector256<int> l0 = default, l1 = default, l2 = default, l3 = default;
            int c = start;
            for (; c < bytesEnd; c += VnniColumns)
            {
                if (prefetch)
                {
                    RowPrefetch.Step(next, 4 * (nint)c, 128);
                }

                Vector256<sbyte> hv = Vector256.LoadUnsafe(ref xh, (nuint)c);
                Vector256<byte> lv = Vector256.LoadUnsafe(ref xl, (nuint)c);
                Vector256<sbyte> w = Vector256.LoadUnsafe(ref r0, (nuint)c);
                h0 = AvxVnni.MultiplyWideningAndAdd(h0, (w ^ flip).AsByte(), hv);
                l0 = AvxVnni.MultiplyWideningAndAdd(l0, lv, w);
                w = Vector256.LoadUnsafe(ref r1, (nuint)c);
                h1 = AvxVnni.MultiplyWideningAndAdd(h1, (w ^ flip).AsByte(), hv);
                l1 = AvxVnni.MultiplyWideningAndAdd(l1, lv, w);
                w = Vector256.LoadUnsafe(ref r2, (nuint)c);
                h2 = AvxVnni.MultiplyWideningAndAdd(h2, (w ^ flip).AsByte(), hv);
                l2 = AvxVnni.MultiplyWideningAndAdd(l2, lv, w);
                w = Vector256.LoadUnsafe(ref r3, (nuint)c);
                h3 = AvxVnni.MultiplyWideningAndAdd(h3, (w ^ flip).AsByte(), hv);
                l3 = AvxVnni.MultiplyWideningAndAdd(l3, lv, w);
            }

            var less = Vector256.CreateScalar(Unsafe.Add(ref corrections, b));
            Vector256<int> a0 = Vector256.ShiftLeft(h0, 8) + l0 - less, a1 = Vector256.ShiftLeft(h1, 8) + l1 - less;
            Vector256<int> a2 = Vector256.ShiftLeft(h2, 8) + l2 - less, a3 = Vector256.ShiftLeft(h3, 8) + l3 - less;

            // The last block's columns past the whole 32s: the AVX2 form's 16-column step and scalar tail.
            BlockRest(ref r0, ref r1, ref r2, ref r3, ref xq, c, vectorEnd, end, ref a0, ref a1, ref a2, ref a3);

            // The block's four sums reduced in int32 (exact) and converted once each: both forms give the same bits.
            f = Fma.MultiplyAdd(Sse2.ConvertToVector128Single(Simd.Sum4(a0, a1, a2, a3)), Vector128.Create(Unsafe.Add(ref steps, b)), f);
        }

        f.StoreUnsafe(ref MemoryMarshal.GetReference(dots));
    }
}
