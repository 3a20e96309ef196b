using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary><c>relu(x) = x &lt; 0 ? 0 : x</c> (NaN stays NaN, as in ONNX).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < 0 ? 0 : x;

    // Select instead of Max: a compare and an and-not, and NaN lanes compare false so they pass through.
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
}

/// <summary><c>leakyRelu(x) = x &lt; 0 ? alpha·x : x</c>.</summary>
internal readonly struct LeakyReluOperator(float alpha) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => x < 0 ? alpha * x : x;

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), x * alpha, x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * alpha, x);
}

/// <summary><c>clip(x) = min(max(x, lo), hi)</c> with lo = alpha, hi = beta.</summary>
internal readonly struct ClipOperator(float lo, float hi) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Min(MathF.Max(x, lo), hi);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Min(Vector128.Max(x, Vector128.Create(lo)), Vector128.Create(hi));

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
}

/// <summary><c>hardSigmoid(x) = max(0, min(1, alpha·x + beta))</c> (ONNX defaults 0.2, 0.5).</summary>
internal readonly struct HardSigmoidOperator(float alpha, float beta) : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Max(0, MathF.Min(1, (alpha * x) + beta));

    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, (x * alpha) + Vector128.Create(beta)));

    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, (x * alpha) + Vector256.Create(beta)));
}

/// <summary><c>hardSwish(x) = x·max(0, min(1, x/6 + 1/2))</c> (ONNX HardSwish).</summary>
internal readonly struct HardSwishOperator : IUnaryOperator
{
    private const float Sixth = 1f / 6;

    public static bool Vectorizable => true;

    public float Invoke(float x) => x * MathF.Max(0, MathF.Min(1, (x * Sixth) + 0.5f));

    public Vector128<float> Invoke(Vector128<float> x) =>
        x * Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, (x * Sixth) + Vector128.Create(0.5f)));

    public Vector256<float> Invoke(Vector256<float> x) =>
        x * Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, (x * Sixth) + Vector256.Create(0.5f)));
}

/// <summary><c>neg(x) = −x</c>.</summary>
internal readonly struct NegOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => -x;

    public Vector128<float> Invoke(Vector128<float> x) => -x;

    public Vector256<float> Invoke(Vector256<float> x) => -x;
}

/// <summary><c>abs(x) = |x|</c>.</summary>
internal readonly struct AbsOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Abs(x);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
}

/// <summary><c>sqrt(x) = √x</c> (NaN for x &lt; 0).</summary>
internal readonly struct SqrtOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Sqrt(x);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
}

/// <summary><c>exp(x) = e^x</c>.</summary>
internal readonly struct ExpOperator : IUnaryOperator
{
    public static bool Vectorizable => true;

    public float Invoke(float x) => MathF.Exp(x);

    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Exp(x);

    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Exp(x);
}
