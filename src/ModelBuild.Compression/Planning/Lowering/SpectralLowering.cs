using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>DFT → <see cref="DftOp"/>, STFT → <see cref="StftOp"/>, MelWeightMatrix → <see cref="MelWeightMatrixOp"/>.</summary>
internal sealed class SpectralLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["DFT", "STFT", "MelWeightMatrix"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Outputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("a non-float output");
        }

        switch (node.OpType)
        {
            case "DFT":
                LowerDft(c, node);
                return;
            case "STFT":
                RequireTypes(c, node, TensorType.Float32, TensorType.Int64, TensorType.Float32, TensorType.Int64);
                var signal = c.Read(node.Inputs[0]);
                var step = c.Read(node.Inputs[1]);
                var window = node.InputOrNull(2) is { } w ? c.Read(w) : -1;
                var frameLength = node.InputOrNull(3) is { } f ? c.Read(f) : -1;
                if (window < 0 && frameLength < 0)
                {
                    throw new UnsupportedNodeException("neither a window nor a frame_length");
                }

                c.Emit(new StftOp(signal, step, window, frameLength, c.Write(node.Outputs[0]), node.GetInt("onesided", 1) != 0));
                return;
            default:
                RequireTypes(c, node, TensorType.Int64, TensorType.Int64, TensorType.Int64, TensorType.Float32, TensorType.Float32);
                var inputs = node.Inputs.Select(c.Read).ToArray();
                c.Emit(new MelWeightMatrixOp(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], c.Write(node.Outputs[0])));
                return;
        }
    }

    private static void LowerDft(LoweringContext c, Node node)
    {
        RequireTypes(c, node, TensorType.Float32, TensorType.Int64, TensorType.Int64);
        var inverse = node.GetInt("inverse", 0) != 0;
        var onesided = node.GetInt("onesided", 0) != 0;
        if (inverse && onesided)
        {
            throw new UnsupportedNodeException("an inverse onesided DFT");
        }

        // Opset 20 moved axis from an attribute (default 1) to the optional third input (default -2).
        long axis;
        if (c.Opset >= 20)
        {
            axis = node.InputOrNull(2) is null ? -2
                : c.ConstantInts(node, 2) is [var a] ? a : throw new UnsupportedNodeException("a computed axis");
        }
        else
        {
            axis = node.GetInt("axis", 1);
        }

        var x = c.Read(node.Inputs[0]);
        var length = node.InputOrNull(1) is { } l ? c.Read(l) : -1;
        c.Emit(new DftOp(x, length, c.Write(node.Outputs[0]), checked((int)axis), inverse, onesided));
    }

    private static void RequireTypes(LoweringContext c, Node node, params TensorType[] types)
    {
        for (var i = 0; i < types.Length; i++)
        {
            if (node.InputOrNull(i) is { } name && c.TensorTypeOf(name) != types[i])
            {
                throw new UnsupportedNodeException($"input {i} ('{name}') is not {types[i]}");
            }
        }
    }
}
