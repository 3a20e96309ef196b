using ModelBuild.Graph;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning.Lowering;

/// <summary>
/// ONNX Resize (opsets 10–19) and Upsample (opset 9) → <see cref="ResizeOp"/>. Resize-10 and Upsample predate the
/// coordinate and rounding attributes: they sample asymmetrically with ONNX Runtime's legacy nearest rounding.
/// Refused: antialias, Upsample-7's scales attribute, non-float data.
/// </summary>
internal sealed class ResizeLowering : INodeLowering
{
    public IReadOnlyList<string> OpTypes { get; } = ["Resize", "Upsample"];

    public void Lower(LoweringContext c, Node node)
    {
        if (c.TensorTypeOf(node.Inputs[0]) != TensorType.Float32)
        {
            throw new UnsupportedNodeException("only float tensors are resized");
        }

        var mode = node.GetString("mode", "nearest") switch
        {
            "nearest" => ResizeMode.Nearest,
            "linear" or "bilinear" => ResizeMode.Linear,
            "cubic" when node.OpType == "Resize" && c.Opset >= 11 => ResizeMode.Cubic,
            var m => throw new UnsupportedNodeException($"mode '{m}'"),
        };

        bool legacy = node.OpType == "Upsample" || c.Opset < 11;
        if (node.OpType == "Upsample" && c.Opset < 9)
        {
            throw new UnsupportedNodeException("Upsample-7's scales attribute (re-export with opset ≥ 9)");
        }

        if (node.GetInt("antialias", 0) != 0)
        {
            throw new UnsupportedNodeException("antialias = 1");
        }

        var coordinates = legacy ? ResizeCoordinates.Asymmetric : Coordinates(node.GetString("coordinate_transformation_mode", "half_pixel"));
        var nearest = legacy ? NearestRounding.Legacy : node.GetString("nearest_mode", "round_prefer_floor") switch
        {
            "round_prefer_floor" => NearestRounding.RoundPreferFloor,
            "round_prefer_ceil" => NearestRounding.RoundPreferCeil,
            "floor" => NearestRounding.Floor,
            "ceil" => NearestRounding.Ceil,
            var m => throw new UnsupportedNodeException($"nearest_mode '{m}'"),
        };
        var policy = node.GetString("keep_aspect_ratio_policy", "stretch") switch
        {
            "stretch" => AspectRatioPolicy.Stretch,
            "not_larger" => AspectRatioPolicy.NotLarger,
            "not_smaller" => AspectRatioPolicy.NotSmaller,
            var p => throw new UnsupportedNodeException($"keep_aspect_ratio_policy '{p}'"),
        };
        var axes = node.GetInts("axes")?.Select(a => checked((int)a)).ToArray() ?? [];

        // Operand positions: Resize-11+ is (X, roi, scales, sizes); Resize-10 and Upsample-9 are (X, scales).
        int roiAt = legacy ? -1 : 1, scalesAt = legacy ? 1 : 2, sizesAt = legacy ? -1 : 3;
        var x = c.Read(node.Inputs[0]);
        var roi = coordinates == ResizeCoordinates.TfCropAndResize ? Operand(c, node, roiAt) : -1;
        var sizes = Operand(c, node, sizesAt);
        var scales = sizes >= 0 && c.Constant(node.InputOrNull(sizesAt)!) is not null ? -1 : Operand(c, node, scalesAt);
        if (scales < 0 && sizes < 0)
        {
            throw new UnsupportedNodeException("neither scales nor sizes is given");
        }

        c.Emit(new ResizeOp(x, c.Write(node.Outputs[0]), roi, scales, sizes, axes, mode, coordinates, nearest,
            node.GetFloat("cubic_coeff_a", -0.75f), node.GetInt("exclude_outside", 0) != 0, node.GetFloat("extrapolation_value", 0f), policy));
    }

    private static ResizeCoordinates Coordinates(string mode) => mode switch
    {
        "half_pixel" => ResizeCoordinates.HalfPixel,
        "half_pixel_symmetric" => ResizeCoordinates.HalfPixelSymmetric,
        "pytorch_half_pixel" => ResizeCoordinates.PytorchHalfPixel,
        "align_corners" => ResizeCoordinates.AlignCorners,
        "asymmetric" => ResizeCoordinates.Asymmetric,
        "tf_half_pixel_for_nn" => ResizeCoordinates.TfHalfPixelForNn,
        "tf_crop_and_resize" => ResizeCoordinates.TfCropAndResize,
        _ => throw new UnsupportedNodeException($"coordinate_transformation_mode '{mode}'"),
    };

    /// <summary>The value id of an optional operand, or -1 when it is absent or an empty constant (ONNX's "not given").</summary>
    private static int Operand(LoweringContext c, Node node, int index)
    {
        if (index < 0 || node.InputOrNull(index) is not { } name)
        {
            return -1;
        }

        return c.Constant(name) is { ElementCount: 0 } ? -1 : c.Read(name);
    }
}
