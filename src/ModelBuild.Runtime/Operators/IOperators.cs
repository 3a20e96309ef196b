using System.Runtime.Intrinsics;

namespace ModelBuild.Runtime;

/// <summary>
/// An element-wise function in TensorPrimitives style: one scalar and two vector overloads that must agree
/// (the scalar one is the definition). Parameterised functions carry their parameters as fields.
/// </summary>
internal interface IUnaryOperator
{
    /// <summary>False when there is no vector form; the driver then runs the scalar loop at every level.</summary>
    static abstract bool Vectorizable { get; }

    float Invoke(float x);

    Vector128<float> Invoke(Vector128<float> x);

    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>A two-operand element-wise function, same conventions as <see cref="IUnaryOperator"/>.</summary>
internal interface IBinaryOperator
{
    static abstract bool Vectorizable { get; }

    static abstract float Invoke(float a, float b);

    static abstract Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);

    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}
