namespace ModelBuild.Graph.Passes;

/// <summary>
/// Computes a node whose inputs are all constants, so <see cref="ConstantFoldingPass"/> can replace it by its
/// results. The compressor supplies one that runs the generated runtime's own operators, so a folded value is
/// exactly what the shipped code would have computed.
/// </summary>
public interface IConstantEvaluator
{
    /// <summary>
    /// The node's outputs (one tensor per entry of <see cref="Node.Outputs"/>, named like it), or null when this
    /// evaluator does not compute the node (unknown operator, unsupported type, result too large to store).
    /// </summary>
    /// <param name="node">A default-domain node.</param>
    /// <param name="inputs">One per entry of <see cref="Node.Inputs"/>; null for an absent optional input.</param>
    /// <param name="opset">The model's default-domain opset.</param>
    IReadOnlyList<Tensor>? TryEvaluate(Node node, IReadOnlyList<Tensor?> inputs, long opset);
}
