using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// The float operations of one register width, so that one generic kernel body serves <see cref="Vector256{T}"/>,
/// <see cref="Vector128{T}"/> and plain floats instead of a hand-written copy per width. <typeparamref name="TV"/> is
/// the register type; the implementing structs are type arguments only, so the JIT compiles a generic kernel once per
/// width and inlines every call: the machine code is what the per-width copies compiled to.
/// </summary>
/// <typeparam name="TV">The register: <c>Vector256&lt;float&gt;</c>, <c>Vector128&lt;float&gt;</c> or <c>float</c>.</typeparam>
internal interface IVectorWidth<TV>
    where TV : struct
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    /// <summary>The register at <c>p[offset]</c>.</summary>
    static abstract TV Load(ref float p, nint offset);

    /// <summary>Writes <paramref name="v"/> to <c>p[offset]</c>.</summary>
    static abstract void Store(TV v, ref float p, nint offset);

    /// <summary>A register of weights decoded to floats from row <paramref name="row"/> at column <paramref name="k"/>.</summary>
    static abstract TV LoadWeights<TL>(ref byte row, int k)
        where TL : struct, IWeightLoader;

    /// <summary>The sum of the lanes (the BCL's horizontal sum for registers).</summary>
    static abstract float Sum(TV v);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TV Broadcast(float value);

    /// <summary><c>a·b + c</c>: fused where the hardware has FMA (<see cref="Simd"/>), two roundings otherwise and for floats.</summary>
    static abstract TV MulAdd(TV a, TV b, TV c);

    static abstract TV Add(TV a, TV b);

    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    /// <summary>IEEE maximum per lane (NaN wins, +0 &gt; −0), as <see cref="MathF.Max"/>.</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>max(v, 0) per lane with NaN and −0 passing through, as <see cref="Simd.Relu(float)"/>.</summary>
    static abstract TV Relu(TV v);

    /// <summary><c>e^a</c> per lane: <see cref="VectorExp"/> for registers, <see cref="MathF.Exp"/> for floats.</summary>
    static abstract TV Exp(TV a);

    /// <summary>Natural log per lane: <see cref="VectorLog"/> for registers, <see cref="MathF.Log(float)"/> for floats.</summary>
    static abstract TV Log(TV a);
}

internal readonly struct Vector256Width : IVectorWidth<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float p, nint offset) => Vector256.LoadUnsafe(ref Unsafe.Add(ref p, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, ref float p, nint offset) => v.StoreUnsafe(ref Unsafe.Add(ref p, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadWeights<TL>(ref byte row, int k)
        where TL : struct, IWeightLoader => TL.Load256(ref row, k);

    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Simd.MulAdd(a, b, c);

    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => IeeeMinMax.Maximum(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> v) => Simd.Relu(v);

    public static Vector256<float> Exp(Vector256<float> a) => VectorExp.Exp(a);

    public static Vector256<float> Log(Vector256<float> a) => VectorLog.Log(a);
}

internal readonly struct Vector128Width : IVectorWidth<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float p, nint offset) => Vector128.LoadUnsafe(ref Unsafe.Add(ref p, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> v, ref float p, nint offset) => v.StoreUnsafe(ref Unsafe.Add(ref p, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadWeights<TL>(ref byte row, int k)
        where TL : struct, IWeightLoader => TL.Load128(ref row, k);

    public static float Sum(Vector128<float> v) => Vector128.Sum(v);

    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Simd.MulAdd(a, b, c);

    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => IeeeMinMax.Maximum(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> v) => Simd.Relu(v);

    public static Vector128<float> Exp(Vector128<float> a) => VectorExp.Exp(a);

    public static Vector128<float> Log(Vector128<float> a) => VectorLog.Log(a);
}

/// <summary>Width 1: the scalar tails of the generic kernels.</summary>
internal readonly struct ScalarWidth : IVectorWidth<float>
{
    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float p, nint offset) => Unsafe.Add(ref p, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float v, ref float p, nint offset) => Unsafe.Add(ref p, offset) = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadWeights<TL>(ref byte row, int k)
        where TL : struct, IWeightLoader => TL.Get(ref row, k);

    public static float Sum(float v) => v;

    public static float Broadcast(float value) => value;

    // Not fused: a scalar tail rounds the product and the sum, as the loops it replaced did.
    public static float MulAdd(float a, float b, float c) => (a * b) + c;

    public static float Add(float a, float b) => a + b;

    public static float Subtract(float a, float b) => a - b;

    public static float Multiply(float a, float b) => a * b;

    public static float Divide(float a, float b) => a / b;

    public static float Max(float a, float b) => MathF.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float v) => Simd.Relu(v);

    public static float Exp(float a) => MathF.Exp(a);

    public static float Log(float a) => MathF.Log(a);
}
