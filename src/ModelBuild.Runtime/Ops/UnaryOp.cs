using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// An element-wise function (ONNX Relu, Sigmoid, Tanh, LeakyRelu, Clip, HardSigmoid, HardSwish, Exp, Neg, Abs,
/// Sqrt, Erf, Gelu, Reciprocal, Log, Floor, Ceil, Round, Sign, the trigonometric and hyperbolic functions, Elu, Selu,
/// Celu, Softplus, Softsign, Mish, ThresholdedRelu, Shrink); the formulas are on the operator structs in
/// <c>ModelBuild.Runtime.Operators</c>. Int64 tensors (shape arithmetic) support Neg, Abs, Sign and Relu.
/// <paramref name="Y"/> may share <paramref name="X"/>'s storage (in place).
/// </summary>
/// <param name="X">Input, any shape.</param>
/// <param name="Y">Output, the input's shape.</param>
/// <param name="Function">The function.</param>
/// <param name="Alpha">First parameter (LeakyRelu alpha, Clip min, HardSigmoid/Elu/Selu/Celu/ThresholdedRelu alpha, Shrink lambd).</param>
/// <param name="Beta">Second parameter (Clip max, HardSigmoid beta, Selu gamma, Shrink bias).</param>
/// <param name="Scale">A scalar multiplier applied after the function (<c>y = f(x)·Scale + Shift</c>, rounded as the ONNX
/// Mul and Add it replaces): PP-LCNetV3's learnable affine block after its activations, fused by the planner.</param>
/// <param name="Shift">A scalar added after <paramref name="Scale"/>.</param>
public sealed record UnaryOp(int X, int Y, UnaryFunction Function, float Alpha, float Beta, float Scale = 1f, float Shift = 0f) : Op, IInPlaceOp
{
    /// <inheritdoc/>
    protected internal override bool KeepsSamplesApart(SampleFlow flow)
        => flow.PerSample(X, Y);

    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var xs = c.Shape(X);
        Span<int> shape = stackalloc int[xs.Length];
        xs.CopyTo(shape);
        bool affine = Scale != 1f || Shift != 0f;
        if (c.TypeOf(Y) == TensorType.Int64)
        {
            if (affine)
            {
                throw Fail("a scale or shift on an int64 tensor.");
            }

            RunLongs(c.Longs(X), c.OutputLongs(Y, shape));
            return;
        }

        var y = c.OutputFloats(Y, shape);
        if (affine)
        {
            Kernels.UnaryAffine(Function, c.Floats(X), y, Alpha, Beta, Scale, Shift);
            return;
        }

        Kernels.Unary(Function, c.Floats(X), y, Alpha, Beta);
    }

    private void RunLongs(ReadOnlySpan<long> x, Span<long> y)
    {
        for (var i = 0; i < y.Length; i++)
        {
            var v = x[i];
            y[i] = Function switch
            {
                UnaryFunction.Neg => unchecked(-v),
                UnaryFunction.Abs => v < 0 ? unchecked(-v) : v,
                UnaryFunction.Sign => Math.Sign(v),
                UnaryFunction.Relu => Math.Max(v, 0),
                _ => throw Fail($"{Function} of an int64 tensor."),
            };
        }
    }
}
