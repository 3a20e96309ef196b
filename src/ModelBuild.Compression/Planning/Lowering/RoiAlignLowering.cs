using ModelBuild.Graph;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX RoiAlign (opsets 10–22, float data and regions) → <see cref="RoiAlignOp"/>.</summary>
internal sealed class RoiAlignLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["RoiAlign"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32 || c.TensorTypeOf(node.Inputs[1]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("only float data and regions are supported");
        }

        var isMax = node.GetString("mode", "avg") switch
        {
            "avg" => false,
            "max" => true,
            var m => throw new UnsupportedNodeException($"mode '{m}'"),
        };

        // Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel.
        var halfPixel = node.GetString("coordinate_transformation_mode", c.Opset >= 16 ? "half_pixel" : "output_half_pixel") switch
        {
            "half_pixel" => true,
            "output_half_pixel" => false,
            var m => throw new UnsupportedNodeException($"coordinate_transformation_mode '{m}'"),
        };
        var x = c.Read(node.Inputs[0]);
        var rois = c.Read(node.Inputs[1]);
        var batch = c.Read(node.Inputs[2]);
        c.Emit(new RoiAlignOp(x, rois, batch, c.Write(node.Outputs[0]), isMax, halfPixel, checked((int)node.GetInt("output_height", 1)),
            checked((int)node.GetInt("output_width", 1)), checked((int)node.GetInt("sampling_ratio", 0)), node.GetFloat("spatial_scale", 1f)));
    }
}
