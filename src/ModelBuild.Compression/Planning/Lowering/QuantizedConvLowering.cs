using ModelBuild.Compression.Passes.Activations;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// A Conv the <c>quantize-activations</c> pass marked → <see cref="QuantizedConvOp"/> (the same keys as the
/// <see cref="ConvOp"/> plus the input's scale and zero point); CompressedOnnx writes the same maths as ConvInteger.
/// </summary>
internal static class QuantizedConvLowering
{
    /// <summary><paramref name="conv"/> with 8-bit activations when its weight <paramref name="weightName"/> takes them, else <paramref name="conv"/>.</summary>
    public static Op Choose(LoweringContext c, string weightName, ConvOp conv) =>
        conv.KernelShape.Length <= 2 && c.ActivationQuant.TryGetValue(weightName, out var q) && ActivationQuantization.Applies(c.StoredOf(weightName))
            ? new QuantizedConvOp(conv.X, conv.Y, conv.Weight, conv.Bias, conv.KernelShape, conv.Strides, conv.Dilations, conv.Pads, conv.AutoPad,
                conv.Group, conv.Act, q.Scale, q.ZeroPoint, conv.Residual)
            : conv;
}
