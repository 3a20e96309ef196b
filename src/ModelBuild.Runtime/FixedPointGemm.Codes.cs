using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// <see cref="FixedPointGemm"/> over 4-bit codes read where the blob lies (<see cref="DirectWeights"/>): linear int4,
/// per channel or per group, with or without zero points, and 16-entry palettes on the narrow int8 grid
/// (<see cref="DirectWeights.BiasedSteps"/>). Per panel of 16 channels and K segment the codes become the tile's int16
/// pairs directly, q = code − offset (|q| ≤ 135: offset = 8 + an int8 zero point) or the palette's grid step k
/// (|k| ≤ 128), so batched int4 and palettes multiply in integers as int8 does, where <see cref="DirectGemm"/> decodes
/// every weight to float32 and runs the FMA tile.
/// </summary>
/// <remarks>
/// A segment is the columns within one 256-input step block and one scale group: its int32 sums are exact (|Σ| ≤
/// 256·135·32768 &lt; 2^31) and each is scaled by its row's step times the channels' group scales (a power of two times a
/// float, exact); per-channel scales (and a palette's grid scale) are applied once at the end, as int8's are. Codes are
/// widened in one of two ways (<see cref="WidenCodes"/> where the panel's channels share one lookup table, else
/// <see cref="WidenCodesPerTable"/>). Unlike the batch-1 kernel, a group whose offset is 0 is taken: its code 0 gives
/// q = 0 exactly, and a huge input on such a column coarsens its step block's rounding as a pruned int8 weight's does
/// in the int8 GEMM.
/// </remarks>
internal static partial class FixedPointGemm
{
    /// <summary>
    /// Whether the fixed-point GEMM takes these codes: 4-bit in whole 16-code blocks, groups of whole blocks, linear or a
    /// palette on the narrow grid.
    /// </summary>
    internal static bool TakesCodes(DirectWeights d) =>
        d.Bits == 4 && d.BlockCodes == 16 && d.Cols % 16 == 0 && (d.GroupsPerRow == 1 || d.Group % 16 == 0)
        && (!d.IsPalette || d.BiasedSteps.Length != 0);

    /// <summary>
    /// Panel <paramref name="p"/> for every row, segment by segment: 16 channels, those past N with scale 0 (their
    /// results are not stored).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CodePanel(in Shape s, ref short x, ReadOnlySpan<float> steps, DirectWeights d, int p, Span<short> pairs, ref float bias, ref float c, nint ldc)
    {
        Span<float> scale = stackalloc float[Nr];
        Span<float> groupScale = stackalloc float[Nr];
        Span<short> add = stackalloc short[2 * Nr];
        Span<byte> tables = stackalloc byte[Nr * 16];
        CodePanelBody(s, ref x, steps, d, p, pairs, ref bias, ref c, ldc, scale, groupScale, add, tables);
    }

    // CodePanel's body, inlined into it (no count probes in its loops, as RunBody).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CodePanelBody(
        in Shape s, ref short x, ReadOnlySpan<float> steps, DirectWeights d, int p, Span<short> pairs, ref float bias, ref float c, nint ldc,
        Span<float> scale, Span<float> groupScale, Span<short> add, Span<byte> tables)
    {
        int j0 = p * Nr, live = Math.Min(Nr, s.N - j0);
        bool grouped = !d.IsPalette && d.GroupsPerRow > 1;
        int group = grouped ? d.Group : s.K;
        ChannelParams(d, j0, live, scale, add, tables);
        bool oneTable = !d.IsPalette || j0 / d.RowsPerBook == (j0 + live - 1) / d.RowsPerBook;
        for (int k0 = 0; k0 < s.K;)
        {
            int block = k0 / BlockSize, g = k0 / group;
            int end = Math.Min(Math.Min(s.K, (block + 1) * BlockSize), (g + 1) * group);
            if (grouped)
            {
                GroupParams(d, j0, live, g, groupScale, add);
            }

            if (oneTable)
            {
                WidenCodes(d, j0, live, k0, end - k0, tables, add, pairs);
            }
            else
            {
                WidenCodesPerTable(d, j0, live, k0, end - k0, tables, add, pairs);
            }

            for (int r = 0; r < s.Rows; r += Mr)
            {
                Tile(s, ref Unsafe.Add(ref x, ((nint)r * s.KPad) + k0), steps, block, r, Math.Min(Mr, s.Rows - r), pairs, (end - k0) / 2,
                    ref Unsafe.Add(ref c, r * ldc), ldc, k0 == 0, end == s.K, ref MemoryMarshal.GetReference(scale), ref bias,
                    ref grouped ? ref MemoryMarshal.GetReference(groupScale) : ref Unsafe.NullRef<float>());
            }

            k0 = end;
        }
    }

    /// <summary>
    /// Per channel of the panel: the scale applied at the end (a palette's grid scale, a row's scale, or 1 with groups),
    /// the value added to a looked-up code (a palette's min k, or −offset; twice, once per lane of its int16 pairs), and
    /// the 16-byte lookup (a palette's k − min k, or the identity). Channels past the last row get scale 0.
    /// </summary>
    private static void ChannelParams(DirectWeights d, int j0, int live, Span<float> scale, Span<short> add, Span<byte> tables)
    {
        scale.Clear();
        add.Clear();
        for (int ch = 0; ch < live; ch++)
        {
            int j = j0 + ch;
            Span<byte> table = tables.Slice(16 * ch, 16);
            if (d.IsPalette)
            {
                int book = j / d.RowsPerBook;
                scale[ch] = d.GridScales[book];
                add[2 * ch] = add[(2 * ch) + 1] = (short)d.MinStep(book);
                for (int e = 0; e < 16; e++)
                {
                    table[e] = (byte)(d.BiasedSteps[(16 * book) + e] & 0x7F);
                }
            }
            else
            {
                scale[ch] = d.GroupsPerRow == 1 ? d.Scales[j] : 1f;
                add[2 * ch] = add[(2 * ch) + 1] = (short)-d.Offset(j * d.GroupsPerRow);
                for (int e = 0; e < 16; e++)
                {
                    table[e] = (byte)e;
                }
            }
        }
    }

    /// <summary>Group <paramref name="g"/>'s scale and −offset per channel of the panel (0 past the last row).</summary>
    private static void GroupParams(DirectWeights d, int j0, int live, int g, Span<float> groupScale, Span<short> add)
    {
        groupScale.Clear();
        for (int ch = 0; ch < live; ch++)
        {
            int at = ((j0 + ch) * d.GroupsPerRow) + g;
            groupScale[ch] = d.Scales[at];
            add[2 * ch] = add[(2 * ch) + 1] = (short)-d.Offset(at);
        }
    }

    /// <summary>
    /// Columns [k0, k0 + kc) (kc a multiple of 16) of the panel's 16 channels as int16 pairs <c>[kc/2][16][2]</c>, the
    /// layout <see cref="FixedPointGemm.Tile"/> reads, when all of them take one lookup table (linear codes, or a palette
    /// book shared by the panel's rows): codes are moved as bytes before they are split. Byte pair 2m, 2m + 1 of a
    /// channel's 8-byte block holds columns 2m, 2m + 1 (low nibbles) and 2m + 8, 2m + 9 (high nibbles), so an 8 × 4
    /// transpose of 16-bit words over 8 channels (12 <c>punpck</c> on 128-bit vectors) gives, per word m, the low
    /// nibbles of column pair m and the high nibbles of pair m + 4 already in the tile's channel order; each is masked,
    /// looked up, widened (<c>vpmovzxbw</c>) and offset. Channels past <paramref name="live"/> read no codes (code 0;
    /// their scale is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenCodes(DirectWeights d, int j0, int live, int k0, int kc, ReadOnlySpan<byte> tables, ReadOnlySpan<short> add, Span<short> pairs)
    {
        ref short dst = ref MemoryMarshal.GetReference(pairs);
        Vector128<byte> table = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(tables));
        ref byte codes = ref d.CodeStart;
        nint rowBytes = d.RowBytes;
        var nibble = Vector128.Create((byte)15);
        for (int half = 0; half < 2; half++)
        {
            int c0 = 8 * half;
            Vector256<short> offsets = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(add), (nuint)(2 * c0));
            for (int col = 0; col < kc; col += 16)
            {
                nint at = ((nint)(k0 + col) / 16 * 8) + ((j0 + c0) * rowBytes);
                Vector128<ushort> b0 = Block8(ref codes, at, rowBytes, c0, live), b1 = Block8(ref codes, at, rowBytes, c0 + 1, live);
                Vector128<ushort> b2 = Block8(ref codes, at, rowBytes, c0 + 2, live), b3 = Block8(ref codes, at, rowBytes, c0 + 3, live);
                Vector128<ushort> b4 = Block8(ref codes, at, rowBytes, c0 + 4, live), b5 = Block8(ref codes, at, rowBytes, c0 + 5, live);
                Vector128<ushort> b6 = Block8(ref codes, at, rowBytes, c0 + 6, live), b7 = Block8(ref codes, at, rowBytes, c0 + 7, live);

                // Word m of channels c0…c0+7 into vector m: words, then dwords, then qwords interleaved.
                Vector128<uint> t01 = Sse2.UnpackLow(b0, b1).AsUInt32(), t23 = Sse2.UnpackLow(b2, b3).AsUInt32();
                Vector128<uint> t45 = Sse2.UnpackLow(b4, b5).AsUInt32(), t67 = Sse2.UnpackLow(b6, b7).AsUInt32();
                Vector128<ulong> u0 = Sse2.UnpackLow(t01, t23).AsUInt64(), u1 = Sse2.UnpackHigh(t01, t23).AsUInt64();
                Vector128<ulong> u2 = Sse2.UnpackLow(t45, t67).AsUInt64(), u3 = Sse2.UnpackHigh(t45, t67).AsUInt64();
                ref short to = ref Unsafe.Add(ref dst, (col * Nr) + (16 * half));
                PairsOfWord(Sse2.UnpackLow(u0, u2).AsByte(), table, nibble, offsets, ref to, 0);
                PairsOfWord(Sse2.UnpackHigh(u0, u2).AsByte(), table, nibble, offsets, ref to, 1);
                PairsOfWord(Sse2.UnpackLow(u1, u3).AsByte(), table, nibble, offsets, ref to, 2);
                PairsOfWord(Sse2.UnpackHigh(u1, u3).AsByte(), table, nibble, offsets, ref to, 3);
            }
        }
    }

    /// <summary>
    /// Channel <paramref name="ch"/>'s 8-byte block: byte <paramref name="at"/> + (ch mod 8)·rowBytes of the codes, at
    /// for the half's first channel. Zero past the last row (neither read nor addressed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Block8(ref byte codes, nint at, nint rowBytes, int ch, int live) =>
        ch < live ? Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref codes, at + ((ch & 7) * rowBytes)))).AsUInt16() : Vector128<ushort>.Zero;

    /// <summary>
    /// Word <paramref name="m"/> of 8 channels (bytes: their columns 2m, 2m + 1 in low nibbles, 2m + 8, 2m + 9 in high
    /// ones) as the int16 pairs of the block's column pairs m and m + 4 (pair rows of 32 shorts), looked up and offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairsOfWord(Vector128<byte> word, Vector128<byte> table, Vector128<byte> nibble, Vector256<short> offsets, ref short to, int m)
    {
        Vector128<byte> low = Ssse3.Shuffle(table, word & nibble);
        Vector128<byte> high = Ssse3.Shuffle(table, Vector128.ShiftRightLogical(word.AsUInt16(), 4).AsByte() & nibble);
        (Avx2.ConvertToVector256Int16(low) + offsets).StoreUnsafe(ref to, (nuint)(m * 2 * Nr));
        (Avx2.ConvertToVector256Int16(high) + offsets).StoreUnsafe(ref to, (nuint)((m + 4) * 2 * Nr));
    }

    /// <summary>
    /// As <see cref="WidenCodes"/> for a panel whose channels take different tables (palette books of fewer rows than
    /// the panel): per channel and 16 columns the codes are split and looked up, widened to 8 int32 column pairs, and an
    /// 8 × 8 transpose per 8 channels puts them in channel order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenCodesPerTable(DirectWeights d, int j0, int live, int k0, int kc, ReadOnlySpan<byte> tables, ReadOnlySpan<short> add, Span<short> pairs)
    {
        ref short dst = ref MemoryMarshal.GetReference(pairs);
        ref byte table = ref MemoryMarshal.GetReference(tables);
        ref short adds = ref MemoryMarshal.GetReference(add);
        ref byte codes = ref d.CodeStart;
        nint rowBytes = d.RowBytes;
        for (int half = 0; half < 2; half++)
        {
            int c0 = 8 * half;
            for (int col = 0; col < kc; col += 16)
            {
                nint at = ((nint)(k0 + col) / 16 * 8) + ((j0 + c0) * rowBytes);
                Vector256<int> r0 = Codes16(ref codes, at, rowBytes, c0, live, ref table, ref adds);
                Vector256<int> r1 = Codes16(ref codes, at, rowBytes, c0 + 1, live, ref table, ref adds);
                Vector256<int> r2 = Codes16(ref codes, at, rowBytes, c0 + 2, live, ref table, ref adds);
                Vector256<int> r3 = Codes16(ref codes, at, rowBytes, c0 + 3, live, ref table, ref adds);
                Vector256<int> r4 = Codes16(ref codes, at, rowBytes, c0 + 4, live, ref table, ref adds);
                Vector256<int> r5 = Codes16(ref codes, at, rowBytes, c0 + 5, live, ref table, ref adds);
                Vector256<int> r6 = Codes16(ref codes, at, rowBytes, c0 + 6, live, ref table, ref adds);
                Vector256<int> r7 = Codes16(ref codes, at, rowBytes, c0 + 7, live, ref table, ref adds);

                // 8 × 8 transpose of int32 (a pair of columns each): row i (channel c0 + i) lane p becomes row p lane i.
                Vector256<int> t0 = Avx2.UnpackLow(r0, r1), t1 = Avx2.UnpackHigh(r0, r1), t2 = Avx2.UnpackLow(r2, r3), t3 = Avx2.UnpackHigh(r2, r3);
                Vector256<int> t4 = Avx2.UnpackLow(r4, r5), t5 = Avx2.UnpackHigh(r4, r5), t6 = Avx2.UnpackLow(r6, r7), t7 = Avx2.UnpackHigh(r6, r7);
                Vector256<long> u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()), u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64());
                Vector256<long> u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()), u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64());
                Vector256<long> u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()), u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64());
                Vector256<long> u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()), u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64());

                // Pair col/2 + q of these 8 channels: 16 shorts at (col/2 + q)·32 + 16·half.
                ref short to = ref Unsafe.Add(ref dst, (col * Nr) + (16 * half));
                Avx2.Permute2x128(u0, u4, 0x20).AsInt16().StoreUnsafe(ref to);
                Avx2.Permute2x128(u1, u5, 0x20).AsInt16().StoreUnsafe(ref to, 2 * Nr);
                Avx2.Permute2x128(u2, u6, 0x20).AsInt16().StoreUnsafe(ref to, 4 * Nr);
                Avx2.Permute2x128(u3, u7, 0x20).AsInt16().StoreUnsafe(ref to, 6 * Nr);
                Avx2.Permute2x128(u0, u4, 0x31).AsInt16().StoreUnsafe(ref to, 8 * Nr);
                Avx2.Permute2x128(u1, u5, 0x31).AsInt16().StoreUnsafe(ref to, 10 * Nr);
                Avx2.Permute2x128(u2, u6, 0x31).AsInt16().StoreUnsafe(ref to, 12 * Nr);
                Avx2.Permute2x128(u3, u7, 0x31).AsInt16().StoreUnsafe(ref to, 14 * Nr);
            }
        }
    }

    /// <summary>
    /// Channel <paramref name="ch"/>'s 16 values of the block at byte <paramref name="at"/> + (ch mod 8)·rowBytes of the
    /// codes, in column order as 8 int32 column pairs: byte i of the 8-byte block holds columns i (low nibble) and i + 8
    /// (high nibble); each code is looked up in the channel's table and offset. Zero past the last row (neither read nor
    /// addressed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Codes16(ref byte codes, nint at, nint rowBytes, int ch, int live, ref byte tables, ref short add)
    {
        if (ch >= live)
        {
            return Vector256<int>.Zero;
        }

        var nibble = Vector128.Create((byte)15);
        Vector128<byte> v = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref codes, at + ((ch & 7) * rowBytes)))).AsByte();
        Vector128<ulong> low = (v & nibble).AsUInt64(), high = (Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble).AsUInt64();
        Vector128<byte> looked = Ssse3.Shuffle(Vector128.LoadUnsafe(ref tables, (nuint)(16 * ch)), Sse2.UnpackLow(low, high).AsByte());
        return (Avx2.ConvertToVector256Int16(looked) + Vector256.Create(Unsafe.Add(ref add, 2 * ch))).AsInt32();
    }
}
