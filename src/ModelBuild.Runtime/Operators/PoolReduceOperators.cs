using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// How a pooling window folds its taps (<see cref="Kernels.PoolRows{TR}"/>): which fold (<see cref="PoolFold"/>), the
/// value of a tap outside the input (never changes the fold), and whether the result is divided by a tap count.
/// </summary>
internal interface IPoolReduce
{
    /// <summary>The fold's identity: what padding and ceil-mode overhang contribute.</summary>
    static abstract float Identity { get; }

    /// <summary>True for AveragePool: the fold is divided by the window's tap count.</summary>
    static abstract bool Averages { get; }

    /// <summary>
    /// True when the vector fold may drop a NaN (<see cref="FastMaxPoolReduce"/>): the driver then flags NaN inputs as it
    /// loads them and the caller reruns the call with the exact fold.
    /// </summary>
    static abstract bool DropsNaN { get; }

    // The fold is not a member here: crossgen2 cannot precompile a caller of a *generic* static virtual method (it
    // cannot tell whether the constrained call inlines), so every pooling kernel was JIT-compiled in each process's
    // first prediction (cold start, issue 12). PoolFold.Apply picks the implementation by type instead.
}

/// <summary>The fold of a pooling window's taps for a reduction type TR (a JIT-time constant choice).</summary>
internal static class PoolFold
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply<TW, TV, TR>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
        where TR : struct, IPoolReduce
    {
        if (typeof(TR) == typeof(MaxPoolReduce))
        {
            return MaxPoolReduce.Fold<TW, TV>(a, b);
        }

        return typeof(TR) == typeof(FastMaxPoolReduce) ? FastMaxPoolReduce.Fold<TW, TV>(a, b) : SumPoolReduce.Fold<TW, TV>(a, b);
    }
}

/// <summary>MaxPool: <c>max(a, b)</c>, NaN-propagating like <see cref="MathF.Max(float, float)"/>; padding is −∞, so it never wins.</summary>
internal readonly struct MaxPoolReduce : IPoolReduce
{
    public static float Identity => float.NegativeInfinity;

    public static bool Averages => false;

    public static bool DropsNaN => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>) && Avx.IsSupported)
        {
            return (TV)(object)Max((Vector256<float>)(object)a, (Vector256<float>)(object)b);
        }

        if (typeof(TV) == typeof(Vector128<float>) && Sse.IsSupported)
        {
            return (TV)(object)Max((Vector128<float>)(object)a, (Vector128<float>)(object)b);
        }

        return TW.Max(a, b);
    }

    /// <summary>IEEE maximum (NaN wins, +0 &gt; −0) in 5 instructions (<see cref="IeeeMinMax"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => IeeeMinMax.Maximum(a, b);

    /// <summary>The 128-bit form of <see cref="Max(Vector256{float}, Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => IeeeMinMax.Maximum(a, b);
}

/// <summary>AveragePool: <c>a + b</c>, padding 0, then divided by the count of taps (inside the input or the padded input).</summary>
internal readonly struct SumPoolReduce : IPoolReduce
{
    public static float Identity => 0f;

    public static bool Averages => true;

    public static bool DropsNaN => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct => TW.Add(a, b);
}

/// <summary>
/// MaxPool's fast fold: one maxps per tap (<see cref="MaxPoolReduce"/> needs 5 to keep NaN and ±0 exact). maxps returns
/// its second operand when the pair is unordered, so a NaN can be lost; the driver therefore ORs an unordered mask of every
/// input register it loads and the caller reruns a call that saw a NaN with <see cref="MaxPoolReduce"/>. Equal values
/// (±0 ties) may give −0 where IEEE max gives +0; both compare equal, and only a NaN-free call keeps this fold's output.
/// </summary>
internal readonly struct FastMaxPoolReduce : IPoolReduce
{
    public static float Identity => float.NegativeInfinity;

    public static bool Averages => false;

    public static bool DropsNaN => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>) && Avx.IsSupported)
        {
            return (TV)(object)Avx.Max((Vector256<float>)(object)a, (Vector256<float>)(object)b);
        }

        if (typeof(TV) == typeof(Vector128<float>) && Sse.IsSupported)
        {
            return (TV)(object)Sse.Max((Vector128<float>)(object)a, (Vector128<float>)(object)b);
        }

        return TW.Max(a, b);
    }

    /// <summary><paramref name="flags"/> with the lanes where <paramref name="v"/> is NaN set (all ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV FlagNaN<TW, TV>(TV flags, TV v)
        where TW : struct, IVectorWidth<TV>
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>) && Avx.IsSupported)
        {
            var f = (Vector256<float>)(object)flags;
            var x = (Vector256<float>)(object)v;
            return (TV)(object)Avx.Or(f, Avx.CompareUnordered(x, x));
        }

        if (typeof(TV) == typeof(Vector128<float>) && Sse.IsSupported)
        {
            var f = (Vector128<float>)(object)flags;
            var x = (Vector128<float>)(object)v;
            return (TV)(object)Sse.Or(f, Sse.CompareUnordered(x, x));
        }

        // Scalar: NaN + anything is NaN, and the flag is read as "is NaN".
        return TW.Add(flags, TW.Subtract(v, v));
    }

    /// <summary>True when any lane of <paramref name="flags"/> was set by <c>FlagNaN</c>.</summary>
    /// <remarks>Inlined: a call passing a vector by value keeps its caller out of the ReadyToRun image.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNaN<TV>(TV flags)
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>))
        {
            return (Vector256<float>)(object)flags != Vector256<float>.Zero;
        }

        if (typeof(TV) == typeof(Vector128<float>))
        {
            return (Vector128<float>)(object)flags != Vector128<float>.Zero;
        }

        return float.IsNaN((float)(object)flags);
    }
}
