using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX Transpose, any permutation (the batch axis included) → <see cref="TransposeOp"/>.</summary>
internal sealed class TransposeLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Transpose"];

    public void Lower(LoweringContext c, Node node)
    {
        var perm = node.GetInts("perm")?.Select(p => checked((int)p)).ToArray() ?? [];
        var x = c.Read(node.Inputs[0]);
        c.Emit(new TransposeOp(x, c.Write(node.Outputs[0]), perm));
    }
}

/// <summary>ONNX Concat on any axis, constants allowed → <see cref="ConcatOp"/>.</summary>
internal sealed class ConcatLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Concat"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Inputs.Count == 0 || node.Inputs.Any(i => i.Length == 0))
        {
            throw new UnsupportedNodeException("an empty input name");
        }

        var inputs = node.Inputs.Select(c.Read).ToArray();
        c.Emit(new ConcatOp(inputs, c.Write(node.Outputs[0]), checked((int)node.GetInt("axis", 1))));
    }
}
