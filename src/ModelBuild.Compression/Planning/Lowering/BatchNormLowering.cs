using ModelBuild.Graph;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// An inference BatchNormalization the optimiser could not fold into a Conv/Gemm → <see cref="ChannelAffineOp"/>,
/// with scale = γ/√(σ²+ε) and bias = β − μ·scale computed here in float64.
/// </summary>
internal sealed class BatchNormLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["BatchNormalization"];

    public void Lower(LoweringContext c, Node node)
    {
        if (node.Outputs.Skip(1).Any(o => o.Length > 0) || node.GetInt("training_mode", 0) != 0)
        {
            throw new UnsupportedNodeException("training mode (running mean/variance outputs)");
        }

        double[] Param(int i) => (c.Constant(node.InputOrNull(i) ?? "") ?? throw new UnsupportedNodeException($"input {i} is not a constant")).ToDoubles();
        var gamma = Param(1);
        var beta = Param(2);
        var mean = Param(3);
        var variance = Param(4);
        var ch = gamma.Length;
        if (beta.Length != ch || mean.Length != ch || variance.Length != ch)
        {
            throw new UnsupportedNodeException("scale, B, mean and var differ in length");
        }

        var epsilon = node.GetFloat("epsilon", 1e-5f);
        var scale = new float[ch];
        var bias = new float[ch];
        for (var i = 0; i < ch; i++)
        {
            var s = gamma[i] / Math.Sqrt(variance[i] + epsilon);
            scale[i] = (float)s;
            bias[i] = (float)(beta[i] - (mean[i] * s));
        }

        var label = c.NodeLabel(node);
        var scaleEntry = c.Floats(label + "#bn.scale", node.Inputs[1] + ".scale", scale);
        var biasEntry = c.Floats(label + "#bn.bias", node.Inputs[2] + ".bias", bias);
        var x = c.Read(node.Inputs[0]);
        c.Emit(new ChannelAffineOp(x, c.Write(node.Outputs[0]), scaleEntry, biasEntry));
    }
}
