using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// Reads weight rows of one storage type as floats. Kernels are generic over it so the int8 and float32
/// paths share one loop body; the JIT specialises each struct, so the calls inline to plain loads.
/// </summary>
internal interface IWeightLoader
{
    /// <summary>True when the epilogue must subtract zp·Σx (format int8a).</summary>
    static abstract bool Asymmetric { get; }

    static abstract float Get(ref byte row, int k);

    static abstract Vector256<float> Load256(ref byte row, int k);

    static abstract Vector128<float> Load128(ref byte row, int k);

    /// <summary>16 values; only called when <c>Vector512.IsHardwareAccelerated</c> (AVX-512F present).</summary>
    static abstract Vector512<float> Load512(ref byte row, int k);

    /// <summary>A reference to the first element of row <paramref name="r"/>.</summary>
    static abstract ref byte Row(WeightMatrix w, int r);
}

internal readonly struct Float32Loader : IWeightLoader
{
    public static bool Asymmetric => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(ref byte row, int k) => Unsafe.Add(ref Unsafe.As<byte, float>(ref row), k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int k) => Vector256.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), (nuint)k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(ref byte row, int k) => Vector128.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), (nuint)k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int k) => Vector512.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), (nuint)k);

    public static ref byte Row(WeightMatrix w, int r) =>
        ref Unsafe.As<float, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(w.Floats), (nint)r * w.Cols));
}

internal readonly struct Int8Loader : IWeightLoader
{
    public static bool Asymmetric => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(ref byte row, int k) => (sbyte)Unsafe.Add(ref row, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int k) => Simd.LoadInt8x8(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref row, k)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(ref byte row, int k) => Simd.LoadInt8x4(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref row, k)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int k) => Simd.LoadInt8x16(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref row, k)));

    public static ref byte Row(WeightMatrix w, int r) =>
        ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(w.Int8), (nint)r * w.Cols));
}

/// <summary>Same loads as <see cref="Int8Loader"/>; the zero point is applied once per output.</summary>
internal readonly struct Int8AsymLoader : IWeightLoader
{
    public static bool Asymmetric => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(ref byte row, int k) => Int8Loader.Get(ref row, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int k) => Int8Loader.Load256(ref row, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(ref byte row, int k) => Int8Loader.Load128(ref row, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int k) => Int8Loader.Load512(ref row, k);

    public static ref byte Row(WeightMatrix w, int r) => ref Int8Loader.Row(w, r);
}
