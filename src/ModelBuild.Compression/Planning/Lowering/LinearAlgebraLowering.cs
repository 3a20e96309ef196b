using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>Einsum → <see cref="EinsumOp"/> (equation resolved to label ids here), Det → <see cref="DetOp"/>.</summary>
internal sealed class LinearAlgebraLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Einsum", "Det"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Inputs.Any(i => i.Length > 0 && c.TensorTypeOf(i) != TensorType.Float32) || c.TensorTypeOf(node.Outputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("only float tensors");
        }

        if (node.OpType == "Det")
        {
            var x = c.Read(node.Inputs[0]);
            c.Emit(new DetOp(x, c.Write(node.Outputs[0])));
            return;
        }

        if (node.Inputs.Count is < 1 or > 2)
        {
            throw new UnsupportedNodeException($"{node.Inputs.Count} operands (one or two are supported)");
        }

        // The ellipsis is resolved against the operand ranks, which must therefore be known when planning.
        var ranks = node.Inputs.Select(i => c.ShapeOf(i)?.Rank ?? throw new UnsupportedNodeException($"the rank of '{i}' is unknown")).ToList();
        EinsumEquation equation;
        try
        {
            equation = EinsumEquation.Parse(node.GetString("equation", ""), ranks);
        }
        catch (FormatException e)
        {
            throw new UnsupportedNodeException(e.Message);
        }

        var a = c.Read(node.Inputs[0]);
        var b = node.Inputs.Count > 1 ? c.Read(node.Inputs[1]) : -1;
        c.Emit(new EinsumOp(a, b, c.Write(node.Outputs[0]), equation.Operands[0], node.Inputs.Count > 1 ? equation.Operands[1] : [],
            equation.Output, equation.LabelCount));
    }
}
