using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>a + b</c>.</summary>
internal readonly struct AddOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => a + b;

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
}

/// <summary><c>a − b</c>.</summary>
internal readonly struct SubOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => a - b;

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
}

/// <summary><c>a · b</c>.</summary>
internal readonly struct MulOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => a * b;

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
}

/// <summary><c>a / b</c> (IEEE: x/0 = ±∞).</summary>
internal readonly struct DivOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => a / b;

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
}

/// <summary><c>max(a, b)</c>, NaN-propagating like <see cref="MathF.Max(float, float)"/>.</summary>
internal readonly struct MaxOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => MathF.Max(a, b);

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
}

/// <summary><c>min(a, b)</c>, NaN-propagating like <see cref="MathF.Min(float, float)"/>.</summary>
internal readonly struct MinOperator : IBinaryOperator
{
    public static bool Vectorizable => true;

    public static float Invoke(float a, float b) => MathF.Min(a, b);

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
}

/// <summary><c>a^b</c>; the BCL has no vector pow, so this one always runs scalar.</summary>
internal readonly struct PowOperator : IBinaryOperator
{
    public static bool Vectorizable => false;

    public static float Invoke(float a, float b) => MathF.Pow(a, b);

    public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => throw new NotSupportedException();

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => throw new NotSupportedException();
}
