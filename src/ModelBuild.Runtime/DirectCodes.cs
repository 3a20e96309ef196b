using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime;

/// <summary>
/// One block layout of <see cref="DirectWeights"/>, unpacked into 256-bit registers (AVX2). Kernels are generic over
/// it, so each bit width compiles to its own loop with the shifts and masks as constants.
/// </summary>
internal interface ICodeBlock
{
    static abstract int Bits { get; }

    /// <summary>Codes per block; a multiple of 8.</summary>
    static abstract int BlockCodes { get; }

    static abstract int BlockBytes { get; }

    /// <summary>The block at <paramref name="p"/> loaded into one register (the raw form <see cref="Chunk"/> takes apart).</summary>
    static abstract Vector256<int> Load(ref byte p);

    /// <summary>Codes <c>8m … 8m+7</c> of the block loaded by <see cref="Load"/>, one per int32 lane.</summary>
    static abstract Vector256<int> Chunk(Vector256<int> block, [ConstantExpected] int m);

    /// <summary>As <see cref="Chunk"/> with the lanes' bits above the code left as they are (no mask), for lookups that ignore them.</summary>
    static abstract Vector256<int> RawChunk(Vector256<int> block, [ConstantExpected] int m);
}

/// <summary>1, 2 or 4 bits: 8 bytes zero-extended to 8 lanes; lane j's byte holds codes j + 8m at bits b·m.</summary>
internal readonly struct SplitBlock<TB> : ICodeBlock
    where TB : struct, IBitCount
{
    public static int Bits => TB.Bits;

    public static int BlockCodes => 64 / TB.Bits;

    public static int BlockBytes => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref byte p) =>
        Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref p)).AsByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Chunk(Vector256<int> block, [ConstantExpected] int m)
    {
        // The top code of a byte needs no mask: the byte was zero-extended.
        Vector256<int> shifted = m == 0 ? block : Vector256.ShiftRightLogical(block, TB.Bits * m);
        return (m + 1) * TB.Bits == 8 ? shifted : shifted & Vector256.Create((1 << TB.Bits) - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> RawChunk(Vector256<int> block, [ConstantExpected] int m) =>
        m == 0 ? block : Vector256.ShiftRightLogical(block, TB.Bits * m);
}

/// <summary>3 bits: 8 codes in 3 bytes in stream order, broadcast and shifted per lane by 0, 3, …, 21.</summary>
internal readonly struct Packed3Block : ICodeBlock
{
    public static int Bits => 3;

    public static int BlockCodes => 8;

    public static int BlockBytes => 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref byte p) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Chunk(Vector256<int> block, [ConstantExpected] int m) =>
        Avx2.ShiftRightLogicalVariable(block, Vector256.Create(0u, 3, 6, 9, 12, 15, 18, 21)) & Vector256.Create(7);

    /// <summary>Each lane's code in bits 0–2 with the next codes above (no mask): an 8-entry lookup reads only bits 0–2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> RawChunk(Vector256<int> block, [ConstantExpected] int m) =>
        Avx2.ShiftRightLogicalVariable(block, Vector256.Create(0u, 3, 6, 9, 12, 15, 18, 21));
}

/// <summary>A bit count as a type, so <see cref="SplitBlock{TB}"/>'s shifts are JIT-time constants.</summary>
internal interface IBitCount
{
    static abstract int Bits { get; }
}

internal readonly struct OneBit : IBitCount
{
    public static int Bits => 1;
}

internal readonly struct TwoBits : IBitCount
{
    public static int Bits => 2;
}

internal readonly struct ThreeBits : IBitCount
{
    public static int Bits => 3;
}

internal readonly struct FourBits : IBitCount
{
    public static int Bits => 4;
}

/// <summary>Turns a register of codes into weight values (before the linear scale, which is applied per group).</summary>
internal interface ICodeValues
{
    static abstract bool IsPalette { get; }

    /// <summary>Whether <see cref="Values"/> reads only each lane's low 4 bits, so codes need no mask (<see cref="ICodeBlock.RawChunk"/>).</summary>
    static abstract bool TakesRawCodes { get; }

    /// <param name="codes">8 codes.</param>
    /// <param name="table">The row's palette (8 or 16 floats); unused for linear codes.</param>
    static abstract Vector256<float> Values(Vector256<int> codes, ref float table);
}

/// <summary>Linear codes: the code itself as a float (the offset is taken off once per group through Σx).</summary>
internal readonly struct LinearValues : ICodeValues
{
    public static bool IsPalette => false;

    public static bool TakesRawCodes => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Values(Vector256<int> codes, ref float table) => Avx.ConvertToVector256Single(codes);
}

/// <summary>
/// Linear codes of 1–3 bits: the code as a float by an 8-entry lookup of 0…2^b − 1 repeated, so vpermps (which reads
/// only bits 0–2) replaces the int→float conversion and the codes need no mask.
/// </summary>
internal readonly struct LinearLookup<TBits> : ICodeValues
    where TBits : struct, IBitCount
{
    public static bool IsPalette => false;

    public static bool TakesRawCodes => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Values(Vector256<int> codes, ref float table) =>
        Avx2.PermuteVar8x32(
            TBits.Bits switch
            {
                1 => Vector256.Create(0f, 1, 0, 1, 0, 1, 0, 1),
                2 => Vector256.Create(0f, 1, 2, 3, 0, 1, 2, 3),
                _ => Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7),
            },
            codes);
}

/// <summary>
/// Palettes of up to 8 entries: one in-register table lookup (vpermps). The tables repeat past 2^b entries
/// (<see cref="Formats.DirectWeights.Tables"/>), so bits 0–2 of a raw chunk index the right value and need no mask.
/// </summary>
internal readonly struct SmallPalette : ICodeValues
{
    public static bool IsPalette => true;

    public static bool TakesRawCodes => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Values(Vector256<int> codes, ref float table) =>
        Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref table), codes);
}

/// <summary>
/// 16-entry palettes: a lookup in each half of the table, chosen by the index's bit 3 (moved to the sign bit). vpermps
/// reads only bits 0–2 of each lane and the shift drops everything above bit 3, so the codes need no mask.
/// </summary>
internal readonly struct Palette16 : ICodeValues
{
    public static bool IsPalette => true;

    public static bool TakesRawCodes => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Values(Vector256<int> codes, ref float table)
    {
        Vector256<float> lo = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref table), codes);
        Vector256<float> hi = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref table, 8), codes);
        return Avx.BlendVariable(lo, hi, Vector256.ShiftLeft(codes, 28).AsSingle());
    }
}
