using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>Which vector width a kernel runs at; tests pass each level explicitly to cover every path.</summary>
internal enum SimdLevel
{
    Scalar,
    Vector128,
    Vector256,
}

/// <summary>Width selection and the few vector helpers every kernel shares.</summary>
internal static class Simd
{
    /// <summary>
    /// max(v, 0) keeping NaN (as ONNX Relu does) and −0, without a branch where SSE has <c>maxss</c>: the signs of a
    /// GEMV's outputs are a coin toss, and a branch per output mispredicted half the time (the wide MLP at batch 1,
    /// AVX2, Zen 5: int8 88 → 71 µs, 4-bit palette 104 → 69 µs, with its scalar epilogues branch-free).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float v)
    {
        if (Sse.IsSupported)
        {
            // maxss returns its second operand when either is NaN or both are zeros.
            return Sse.MaxScalar(Vector128<float>.Zero, Vector128.CreateScalarUnsafe(v)).ToScalar();
        }

        return v < 0 ? 0 : v;
    }

    /// <summary>
    /// <see cref="Relu(float)"/> per lane, with its bits (NaN and −0 pass through): one <c>maxps</c>, where
    /// <see cref="Vector256.Max{T}(Vector256{T}, Vector256{T})"/> against zero takes 9 instructions on AVX2 (it orders −0
    /// below +0) and a compare-and-select 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> v) =>
        Avx.IsSupported ? Avx.Max(Vector256<float>.Zero, v) : Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v);

    /// <summary>The 128-bit form of <see cref="Relu(Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> v) =>
        Sse.IsSupported ? Sse.Max(Vector128<float>.Zero, v) : Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), Vector128<float>.Zero, v);

    /// <summary>The 512-bit form of <see cref="Relu(Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> v) =>
        Avx512F.IsSupported ? Avx512F.Max(Vector512<float>.Zero, v) : Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512<float>.Zero, v);

    /// <summary>
    /// The sum of <paramref name="v"/>'s 8 lanes in 4 dependent steps (halves, then pairs, then the last two), where
    /// <see cref="Vector256.Sum{T}(Vector256{T})"/> sums each half in 2 steps of 2 instructions and then the halves: a
    /// GEMV that reduces once per weight row keeps that chain on its critical path. The order differs from it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ShortSum(Vector256<float> v)
    {
        if (!Sse3.IsSupported)
        {
            return Vector256.Sum(v);
        }

        Vector128<float> s = v.GetLower() + v.GetUpper();
        s += Sse.MoveHighToLow(s, s);
        return Sse.AddScalar(s, Sse3.MoveHighAndDuplicate(s)).ToScalar();
    }

    /// <summary>
    /// The lane sums of <paramref name="a"/>…<paramref name="d"/> as one vector [Σa, Σb, Σc, Σd]: three horizontal adds
    /// and one add for four rows of a GEMV, where four <see cref="Vector256.Sum{T}(Vector256{T})"/> take about nine
    /// instructions each. The summation order differs from theirs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        if (!Avx.IsSupported)
        {
            return Vector128.Create(Vector256.Sum(a), Vector256.Sum(b), Vector256.Sum(c), Vector256.Sum(d));
        }

        // Per 128-bit half: [a01, a23, b01, b23], [c01, c23, d01, d23], then [a0123, b0123, c0123, d0123].
        Vector256<float> all = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));
        return all.GetLower() + all.GetUpper();
    }

    /// <summary>
    /// <see cref="Sum4(Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float})"/> for int32 lanes
    /// (AVX2 <c>vphaddd</c>): exact while every partial sum fits int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Sum4(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d)
    {
        Vector256<int> all = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a, b), Avx2.HorizontalAdd(c, d));
        return all.GetLower() + all.GetUpper();
    }

    /// <summary>The widest accelerated width: 256 → 128 → scalar, as TensorPrimitives chooses.</summary>
    public static SimdLevel Best =>
        Vector256.IsHardwareAccelerated ? SimdLevel.Vector256 :
        Vector128.IsHardwareAccelerated ? SimdLevel.Vector128 : SimdLevel.Scalar;

    // Fma.IsSupported is a JIT-time constant, so each call compiles to one instruction (or mul+add);
    // Vector256.FusedMultiplyAdd would fall back to slow software emulation without FMA hardware.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) :
        AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b) : (a * b) + c;

    /// <summary>
    /// |magnitude| with the sign bit of <paramref name="sign"/> per lane, as <c>Vector256.CopySign</c>, by a bitwise
    /// select: the BCL's goes through a CoreLib call with vector arguments, which keeps its caller out of ReadyToRun.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CopySign(Vector256<float> magnitude, Vector256<float> sign) =>
        Vector256.ConditionalSelect(Vector256.Create(-0f), sign, magnitude);

    /// <inheritdoc cref="CopySign(Vector256{float}, Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> CopySign(Vector128<float> magnitude, Vector128<float> sign) =>
        Vector128.ConditionalSelect(Vector128.Create(-0f), sign, magnitude);

    /// <summary>
    /// Floats 0, 1, 4, 5, 2, 3, 6, 7 of <paramref name="v"/>: the middle two 64-bit pairs swapped, which orders what
    /// <c>vshufps</c> leaves per 128-bit lane (AVX2 callers only). One <c>vpermps</c> with an int index rather than
    /// <c>vpermpd</c> on a <c>Vector256&lt;double&gt;</c> view: that view was the only double vector on a float model's path,
    /// and the runtime's first load of the type costs ≈ 0.8 ms of a process's first prediction (issue 12).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SwapMiddlePairs(Vector256<float> v) => Avx2.PermuteVar8x32(v, Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7));

    /// <summary>Sign-extends 8 int8 values at <paramref name="p"/> to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadInt8x8(ref sbyte p)
    {
        Vector128<sbyte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref p))).AsSByte();
        if (Avx2.IsSupported)
        {
            // vpmovsxbd widens 8 bytes to 8 ints in one instruction.
            return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes));
        }

        Vector128<short> s = Vector128.WidenLower(bytes);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(s), Vector128.WidenUpper(s)));
    }

    /// <summary>Sign-extends 4 int8 values at <paramref name="p"/> to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadInt8x4(ref sbyte p)
    {
        Vector128<sbyte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref p))).AsSByte();
        if (Sse41.IsSupported)
        {
            return Sse2.ConvertToVector128Single(Sse41.ConvertToVector128Int32(bytes));
        }

        return Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)));
    }

    /// <summary>Sign-extends 16 int8 values at <paramref name="p"/> to floats (AVX-512F only: vpmovsxbd zmm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadInt8x16(ref sbyte p) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref p)));

    /// <summary>
    /// Sets every element of <paramref name="span"/> to <paramref name="value"/>. Instead of <c>Span&lt;float&gt;.Fill</c>:
    /// the runtime rejects CoreLib's precompiled <c>SpanHelpers.Fill</c> (its code depends on the vector width), so each
    /// process JIT-compiled it in its first prediction (≈ 14 ms of squeezenet_cifar10's cold start, issue 12).
    /// </summary>
    /// <remarks>
    /// Inlined, so that a kernel's per-row fills carry no count probes of dynamic PGO's instrumented tier (IMPLEMENTATION.md,
    /// "Dynamic PGO").
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(Span<float> span, float value)
    {
        ref float at = ref MemoryMarshal.GetReference(span);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> v = Vector256.Create(value);
            for (; i <= span.Length - 8; i += 8)
            {
                v.StoreUnsafe(ref at, (nuint)i);
            }
        }

        for (; i < span.Length; i++)
        {
            Unsafe.Add(ref at, i) = value;
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/>, which must not overlap it: 8 floats
    /// per step and, for a length that is not a multiple of 8, a last step that ends at the last float (rewriting a few).
    /// For kernels' per-row copies instead of <c>Span&lt;float&gt;.CopyTo</c>: CoreLib's <c>Memmove</c> runs with dynamic
    /// PGO's count probes in a process's first seconds, which cost more than a short row's copy (mnist-8 at batch 64: 2.2
    /// against 1.25 ms per call, IMPLEMENTATION.md, "Dynamic PGO"); this loop is inlined into the kernel and carries none.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ReadOnlySpan<float> source, Span<float> destination)
    {
        int n = source.Length;
        if (n > destination.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; the copy needs {n}.", nameof(destination));
        }

        ref float s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            int i = 0;
            for (; i <= n - 8; i += 8)
            {
                Vector256.LoadUnsafe(ref s, (nuint)i).StoreUnsafe(ref d, (nuint)i);
            }

            if (i < n)
            {
                Vector256.LoadUnsafe(ref s, (nuint)(n - 8)).StoreUnsafe(ref d, (nuint)(n - 8));
            }

            return;
        }

        for (int i = 0; i < n; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
        }
    }

    /// <summary>
    /// <see cref="Fill(Span{float}, float)"/> for the other element types (indices, int64 and bool tensors): a plain
    /// loop, compiled ahead of time, where <c>Span&lt;T&gt;.Fill</c> JIT-compiles CoreLib's per element type (≈ 1 ms each).
    /// </summary>
    public static void Fill<T>(Span<T> span, T value)
    {
        ref T at = ref MemoryMarshal.GetReference(span);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> v = Vector256.Create(value);
            for (; i <= span.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                v.StoreUnsafe(ref at, (nuint)i);
            }
        }

        for (; i < span.Length; i++)
        {
            Unsafe.Add(ref at, i) = value;
        }
    }
}
