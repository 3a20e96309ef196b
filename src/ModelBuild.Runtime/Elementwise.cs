using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// The element-wise drivers: span→span for unary operators and span×span, span×scalar, scalar×span for
/// binary ones. At the 256-bit level a 128-bit step takes the tail down to at most 3 elements, which then
/// run the scalar form (not an overlapping last vector as TensorPrimitives does) because x and y may alias,
/// and re-applying an operator to its own output would be wrong.
/// </summary>
internal static class Elementwise
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Unary<TOp>(SimdLevel level, TOp op, ReadOnlySpan<float> x, Span<float> y)
        where TOp : struct, IUnaryOperator
    {
        UnaryBody<TOp>(level, op, x, y);
    }

    // Unary's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnaryBody<TOp>(SimdLevel level, TOp op, ReadOnlySpan<float> x, Span<float> y)
        where TOp : struct, IUnaryOperator
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (TOp.Vectorizable && level == SimdLevel.Vector256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                op.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (TOp.Vectorizable && level != SimdLevel.Scalar)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                op.Invoke(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref xr, i));
        }
    }

    /// <summary><c>y[i] = op(a[i], b[i])</c> for <c>i &lt; n</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void VV<TOp>(SimdLevel level, ref float a, ref float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        VVBody<TOp>(level, ref a, ref b, ref y, n);
    }

    // VV's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VVBody<TOp>(SimdLevel level, ref float a, ref float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        int i = 0;
        if (TOp.Vectorizable && level == SimdLevel.Vector256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (TOp.Vectorizable && level != SimdLevel.Scalar)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = TOp.Invoke(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
        }
    }

    /// <summary><c>y[i] = op(a[i], b)</c>: a broadcast scalar on the right.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void VS<TOp>(SimdLevel level, ref float a, float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        VSBody<TOp>(level, ref a, b, ref y, n);
    }

    // VS's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VSBody<TOp>(SimdLevel level, ref float a, float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        int i = 0;
        if (TOp.Vectorizable && level == SimdLevel.Vector256)
        {
            Vector256<float> vb = Vector256.Create(b);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref a, (nuint)i), vb).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (TOp.Vectorizable && level != SimdLevel.Scalar)
        {
            Vector128<float> vb = Vector128.Create(b);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.LoadUnsafe(ref a, (nuint)i), vb).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = TOp.Invoke(Unsafe.Add(ref a, i), b);
        }
    }

    /// <summary><c>y[i] = op(a, b[i])</c>: a broadcast scalar on the left (order matters for Sub, Div, Pow).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SV<TOp>(SimdLevel level, float a, ref float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        SVBody<TOp>(level, a, ref b, ref y, n);
    }

    // SV's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SVBody<TOp>(SimdLevel level, float a, ref float b, ref float y, int n)
        where TOp : struct, IBinaryOperator
    {
        int i = 0;
        if (TOp.Vectorizable && level == SimdLevel.Vector256)
        {
            Vector256<float> va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(va, Vector256.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (TOp.Vectorizable && level != SimdLevel.Scalar)
        {
            Vector128<float> va = Vector128.Create(a);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(va, Vector128.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = TOp.Invoke(a, Unsafe.Add(ref b, i));
        }
    }

    /// <summary><c>y[i] = x[i]·s + t</c> (ChannelAffine's inner loop).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Affine(SimdLevel level, ref float x, float s, float t, ref float y, int n)
    {
        AffineBody(level, ref x, s, t, ref y, n);
    }

    // Affine's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AffineBody(SimdLevel level, ref float x, float s, float t, ref float y, int n)
    {
        int i = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Simd.MulAdd(Vector256.LoadUnsafe(ref x, (nuint)i), vs, vt).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Simd.MulAdd(Vector128.LoadUnsafe(ref x, (nuint)i), vs, vt).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) = (Unsafe.Add(ref x, i) * s) + t;
        }
    }

    /// <summary>Σ x[i].</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Sum(SimdLevel level, ref float x, int n)
    {
        return SumBody(level, ref x, n);
    }

    // Sum's body, inlined into it so that dynamic PGO's instrumented tier puts no count probe in its loops (IMPLEMENTATION.md, "Dynamic PGO").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumBody(SimdLevel level, ref float x, int n)
    {
        int i = 0;
        float sum = 0;
        if (level == SimdLevel.Vector256)
        {
            Vector256<float> acc = default;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc += Vector256.LoadUnsafe(ref x, (nuint)i);
            }

            sum = Vector256.Sum(acc);
        }

        if (level != SimdLevel.Scalar)
        {
            Vector128<float> acc = default;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                acc += Vector128.LoadUnsafe(ref x, (nuint)i);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref x, i);
        }

        return sum;
    }
}
