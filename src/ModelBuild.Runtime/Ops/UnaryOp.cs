using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// An element-wise function (ONNX Relu, Sigmoid, Tanh, LeakyRelu, Clip, HardSigmoid, HardSwish, Exp, Neg, Abs,
/// Sqrt, Erf, Gelu); the formulas are on the operator structs in <c>ModelBuild.Runtime.Operators</c>.
/// <paramref name="Y"/> may share <paramref name="X"/>'s storage (in place).
/// </summary>
/// <param name="X">Input, any shape.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Function">The function.</param>
/// <param name="Alpha">First parameter (LeakyRelu alpha, Clip min, HardSigmoid alpha).</param>
/// <param name="Beta">Second parameter (Clip max, HardSigmoid beta).</param>
public sealed record UnaryOp(int X, int Y, UnaryFunction Function, float Alpha, float Beta) : Op, IInPlaceOp
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        var y = c.OutputFloats(Y, shape);
        Kernels.Unary(Function, c.Floats(X), y, Alpha, Beta);
    }
}
