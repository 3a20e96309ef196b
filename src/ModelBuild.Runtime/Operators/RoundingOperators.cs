using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>floor(x)</c>: the largest integer ≤ x (ONNX Floor).</summary>
internal readonly struct FloorOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Floor(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Floor(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Floor(x);
}

/// <summary><c>ceil(x)</c>: the smallest integer ≥ x (ONNX Ceil).</summary>
internal readonly struct CeilOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Ceiling(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Ceiling(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Ceiling(x);
}

/// <summary>Round to the nearest integer, halves to even (ONNX Round; numpy's <c>round</c>): 2.5 → 2, −1.5 → −2.</summary>
internal readonly struct RoundOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Round(x, MidpointRounding.ToEven);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Round(x, MidpointRounding.ToEven);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Round(x, MidpointRounding.ToEven);
}

/// <summary><c>sign(x)</c> = 1 for x &gt; 0, −1 for x &lt; 0, x itself for ±0 and NaN (numpy's sign; MathF.Sign throws on NaN).</summary>
internal readonly struct SignOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x > 0 ? 1f : x < 0 ? -1f : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128.Create(-1f), x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(-1f), x));
}

/// <summary><c>1/x</c> (ONNX Reciprocal), a true division (no reciprocal estimate).</summary>
internal readonly struct ReciprocalOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => 1f / x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / x;
}
