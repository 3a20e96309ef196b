using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// One step of a uint8 × int8 dot product (activation codes × weight codes) accumulated exactly in int32 lanes.
/// An implementation first prepares a register of activation codes (<see cref="Magnitude256"/>, <see cref="Sign256"/>), once per step for
/// all the weight rows that use it, then accumulates each weight register. (Two returning methods rather than one with
/// out parameters: out locals are address-exposed and the JIT would keep them in memory instead of registers.) <see cref="Offset"/> is what each code
/// has been shifted by: the sum the kernel gets is <c>Σ (q − Offset)·w</c>.
/// </summary>
internal interface IByteDot
{
    /// <summary>Subtracted from every activation code by this form of the product (0 or 128).</summary>
    static abstract int Offset { get; }

    /// <summary>The unsigned operand made from the codes.</summary>
    static abstract Vector256<byte> Magnitude256(Vector256<byte> q);

    /// <summary>The sign operand made from the codes (unused by forms that need none).</summary>
    static abstract Vector256<sbyte> Sign256(Vector256<byte> q);

    static abstract Vector256<int> Accumulate256(Vector256<int> acc, Vector256<byte> magnitude, Vector256<sbyte> sign, Vector256<sbyte> w);

    static abstract Vector128<byte> Magnitude128(Vector128<byte> q);

    static abstract Vector128<sbyte> Sign128(Vector128<byte> q);

    static abstract Vector128<int> Accumulate128(Vector128<int> acc, Vector128<byte> magnitude, Vector128<sbyte> sign, Vector128<sbyte> w);
}

/// <summary>
/// AVX2/SSSE3 without VNNI: <c>vpmaddubsw</c> multiplies unsigned by signed bytes and adds pairs into int16 with
/// saturation, and 255·127·2 = 64770 does not fit. Shifting the codes to <c>s = q − 128</c> (an XOR) and feeding
/// <c>|s|</c> (≤ 128) with <c>sign(s)·w</c> (<c>vpsignb</c>, |w| ≤ 127) bounds each pair by 2·128·127 = 32512, so the
/// int16 step is exact and the weights keep all 8 bits (unlike ORT's reduce_range, which drops weights to 7 bits).
/// <c>vpmaddwd</c> with ones then widens the pairs to int32. Cost per 32 products: sign, maddubs, maddwd, add
/// (the shift and abs are per activation register, shared by the 4–8 weight rows of a block); widening both
/// operands to int16 and using <c>vpmaddwd</c> alone needs a widen, a madd and an add per 16, i.e. 6 per 32.
/// Requires weight codes ≥ −127 (−128 would overflow <c>vpsignb</c>); the kernel checks.
/// </summary>
internal readonly struct SignedByteDot : IByteDot
{
    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Magnitude256(Vector256<byte> q) => Avx2.Abs(Sign256(q));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Sign256(Vector256<byte> q) => (q ^ Vector256.Create((byte)0x80)).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate256(Vector256<int> acc, Vector256<byte> magnitude, Vector256<sbyte> sign, Vector256<sbyte> w) =>
        acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(w, sign)), Vector256<short>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Magnitude128(Vector128<byte> q) => Ssse3.Abs(Sign128(q));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> Sign128(Vector128<byte> q) => (q ^ Vector128.Create((byte)0x80)).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Accumulate128(Vector128<int> acc, Vector128<byte> magnitude, Vector128<sbyte> sign, Vector128<sbyte> w) =>
        acc + Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(magnitude, Ssse3.Sign(w, sign)), Vector128<short>.One);
}

/// <summary>
/// AVX-VNNI: <c>vpdpbusd</c> multiplies unsigned by signed bytes and adds groups of 4 straight into int32, without
/// an int16 step, so there is nothing to saturate and the codes are used as they are.
/// </summary>
internal readonly struct VnniByteDot : IByteDot
{
    public static int Offset => 0;

    public static Vector256<byte> Magnitude256(Vector256<byte> q) => q;

    public static Vector256<sbyte> Sign256(Vector256<byte> q) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate256(Vector256<int> acc, Vector256<byte> magnitude, Vector256<sbyte> sign, Vector256<sbyte> w) =>
        AvxVnni.MultiplyWideningAndAdd(acc, magnitude, w);

    public static Vector128<byte> Magnitude128(Vector128<byte> q) => q;

    public static Vector128<sbyte> Sign128(Vector128<byte> q) => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Accumulate128(Vector128<int> acc, Vector128<byte> magnitude, Vector128<sbyte> sign, Vector128<sbyte> w) =>
        AvxVnni.MultiplyWideningAndAdd(acc, magnitude, w);
}
