using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>ONNX GridSample with 2 spatial axes (4-D input) → <see cref="GridSampleOp"/>; other ranks are refused.</summary>
internal sealed class GridSampleLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["GridSample"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.ShapeOf(node.Inputs[0]) is { Rank: not 4 } shape)
        {
            throw new UnsupportedNodeException($"a rank-{shape.Rank} input (only 4-D [N, C, H, W] is supported)");
        }

        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32 || c.TensorTypeOf(node.Inputs[1]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("only float inputs and grids are sampled");
        }

        var mode = node.GetString("mode", c.Opset >= 20 ? "linear" : "bilinear") switch
        {
            "nearest" => ResizeMode.Nearest,
            "bilinear" or "linear" => ResizeMode.Linear,
            "bicubic" or "cubic" => ResizeMode.Cubic,
            var m => throw new UnsupportedNodeException($"mode '{m}'"),
        };
        var padding = node.GetString("padding_mode", "zeros") switch
        {
            "zeros" => GridPadding.Zeros,
            "border" => GridPadding.Border,
            "reflection" => GridPadding.Reflection,
            var p => throw new UnsupportedNodeException($"padding_mode '{p}'"),
        };
        var x = c.Read(node.Inputs[0]);
        var grid = c.Read(node.Inputs[1]);
        c.Emit(new GridSampleOp(x, grid, c.Write(node.Outputs[0]), mode, padding, node.GetInt("align_corners", 0) != 0));
    }
}
