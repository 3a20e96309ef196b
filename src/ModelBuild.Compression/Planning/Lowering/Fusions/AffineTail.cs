using ModelBuild.Graph;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// A scalar <c>Mul</c> then a scalar <c>Add</c> after an element-wise function, <c>y = f(x)·a + b</c>: PP-LCNetV3's
/// learnable affine block as paddle2onnx exports it after each activation (a and b one-element float constants, either
/// operand order). Folded into the function's <see cref="ModelBuild.Runtime.Ops.UnaryOp"/> (Scale, Shift), it saves
/// two passes over the tensor; the kernel rounds the product and the sum as the two nodes do.
/// </summary>
internal sealed record AffineTail(Node Mul, Node Add, float Scale, float Shift)
{
    /// <summary>The tail reading <paramref name="last"/>'s output (read by the Mul alone, the Mul's by the Add alone), or null.</summary>
    public static AffineTail? After(LoweringContext c, Node last)
    {
        var g = c.Graph;
        if (FusionQueries.SoleConsumer(g, last) is not { OpType: "Mul", IsDefaultDomain: true } mul
            || FusionQueries.OtherOperand(mul, v => v == last.Outputs[0]) is not { } a || Scalar(c, a) is not { } scale
            || FusionQueries.SoleConsumer(g, mul) is not { OpType: "Add", IsDefaultDomain: true } add
            || FusionQueries.OtherOperand(add, v => v == mul.Outputs[0]) is not { } b || Scalar(c, b) is not { } shift)
        {
            return null;
        }

        return new AffineTail(mul, add, scale, shift);
    }

    /// <summary>A one-element float constant of rank 0 or 1, which broadcasts without changing the other operand's shape.</summary>
    private static float? Scalar(LoweringContext c, string name) =>
        c.Constant(name) is { Dims.Length: <= 1 } ? FusionQueries.ScalarConstant(c, name) : null;
}
