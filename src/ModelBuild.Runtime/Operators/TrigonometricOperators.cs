using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>sin(x)</c>, radians; the BCL's vector sine (AOCL port, falls back to scalar for huge arguments).</summary>
internal readonly struct SinOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Sin(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sin(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sin(x);
}

/// <summary><c>cos(x)</c>, radians; the BCL's vector cosine.</summary>
internal readonly struct CosOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Cos(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Cos(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Cos(x);
}

// The functions below have no BCL vector form: scalar MathF (C's libm) per element, as ONNX Runtime's Eigen loops do.

/// <summary><c>tan(x)</c>.</summary>
internal readonly struct TanOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Tan(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>asin(x)</c>, NaN outside [−1, 1].</summary>
internal readonly struct AsinOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Asin(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>acos(x)</c>, NaN outside [−1, 1].</summary>
internal readonly struct AcosOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Acos(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>atan(x)</c>.</summary>
internal readonly struct AtanOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Atan(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>sinh(x)</c>.</summary>
internal readonly struct SinhOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Sinh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>cosh(x)</c>.</summary>
internal readonly struct CoshOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Cosh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>asinh(x)</c>.</summary>
internal readonly struct AsinhOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Asinh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>acosh(x)</c>, NaN below 1.</summary>
internal readonly struct AcoshOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Acosh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}

/// <summary><c>atanh(x)</c>, ±∞ at ±1, NaN outside [−1, 1].</summary>
internal readonly struct AtanhOperator : IUnaryOperator
{
    public static bool Vectorizable => false;

    public float Invoke(float x) => MathF.Atanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => throw new NotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => throw new NotSupportedException();
}
