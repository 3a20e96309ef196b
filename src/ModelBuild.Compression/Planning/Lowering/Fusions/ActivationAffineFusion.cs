using ModelBuild.Graph;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Planning.Lowering.Fusions;

/// <summary>
/// An ONNX HardSwish or Sigmoid node followed by a scalar Mul and Add (<see cref="AffineTail"/>): one
/// <see cref="ModelBuild.Runtime.Ops.UnaryOp"/> with Scale and Shift instead of three passes. The decomposed hard swish
/// of older opsets takes the same tail in <see cref="HardSwishFusion"/>.
/// </summary>
internal sealed class ActivationAffineFusion(string opType, UnaryFunction function) : IPatternFusion
{
    public string FirstOp => opType;

    public FusedChain? Match(LoweringContext c, Node first)
    {
        if (first.Inputs.Count != 1 || first.Outputs.Count != 1
            || c.Graph.GetValueInfo(first.Inputs[0])?.ElementType is { } type && type != DataType.Float
            || AffineTail.After(c, first) is not { } tail)
        {
            return null;
        }

        return new FusedChain(tail.Add, [first, tail.Mul, tail.Add], new HardSwishFusion.Lowering(first.Inputs[0], function, tail.Scale, tail.Shift));
    }
}
