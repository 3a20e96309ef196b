using ModelBuild.Compression.Representation;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Passes.Activations;

/// <summary>
/// What the <c>quantize-activations</c> pass decided for one layer, keyed by weight name in
/// <see cref="CompressionContext.ActivationQuant"/>: the planner lowers the layer to <c>QuantizedDenseOp</c> and the
/// compressed .onnx computes it with DynamicQuantizeLinear (or QuantizeLinear) + MatMulInteger (a Conv: <c>QuantizedConvOp</c> and
/// ConvInteger), when
/// <see cref="Applies"/> still holds at the end (a later pass may have stored the weight in another format).
/// </summary>
/// <param name="Scale">The calibrated input scale (static), or 0 (dynamic: computed per call).</param>
/// <param name="ZeroPoint">The calibrated input zero point, 0–255 (static), or 0.</param>
public sealed record ActivationQuantization(float Scale, int ZeroPoint)
{
    /// <summary>Whether the scale and zero point are computed from each call's input.</summary>
    public bool IsDynamic => Scale == 0;

    /// <summary>Whether a weight stored as <paramref name="stored"/> is what the int8-activation kernel reads: int8 symmetric, one scale per row.</summary>
    public static bool Applies(StoredMatrix? stored) =>
        stored is LinearQuantized { Bits: 8, IsTernary: false, ZeroPoints: null } q && q.GroupSize >= q.Cols;

    /// <summary>
    /// Why <paramref name="layer"/> cannot take 8-bit activations, or null when it can: it must be a MatMul with a 2-D
    /// constant right operand, a 1-D/2-D Conv (see <see cref="ConvRefusal"/>), or a Gemm A·B(ᵀ) (+ C per output column) with transA = 0 and alpha 1, whose weight
    /// nothing else reads, on opset ≥ 11 (DynamicQuantizeLinear). <paramref name="opset"/> (default: the graph's) lets the
    /// pass ask whether a layer would qualify once the opset is raised (<see cref="OpsetRaise"/>).
    /// </summary>
    public static string? Refusal(ModelGraph graph, LayerWeight layer, long? opset = null)
    {
        var node = layer.Node;
        if (node.OpType is not ("MatMul" or "Gemm" or "Conv") || node.InputOrNull(1) != layer.Name)
        {
            return $"a {node.OpType} (only Gemm, MatMul and Conv with a constant weight take 8-bit activations)";
        }

        if (node.OpType == "Conv")
        {
            if (ConvRefusal(graph, layer) is { } reason)
            {
                return reason;
            }
        }
        else if (graph.GetInitializer(layer.Name) is not { Dims.Length: 2 })
        {
            return "its weight is not a 2-D matrix";
        }

        if (graph.Consumers(layer.Name).Count != 1)
        {
            return "its weight is shared with another node";
        }

        if ((opset ?? graph.DefaultOpset) < OpsetRaise.Target)
        {
            return $"the model's opset is {graph.DefaultOpset} (DynamicQuantizeLinear needs 11) and was not raised (see the quantize-activations note)";
        }

        if (node.OpType == "Gemm")
        {
            if (node.GetInt("transA", 0) != 0 || node.GetFloat("alpha", 1f) != 1f)
            {
                return "a Gemm with transA or alpha";
            }

            var beta = node.GetFloat("beta", 1f);
            if (node.InputOrNull(2) is { } c && beta != 0f
                && (beta != 1f || graph.GetInitializer(c) is not { DataType: DataType.Float } ct || !IsPerColumn(ct.Dims, layer.Rows)))
            {
                return "a Gemm whose C is not a constant bias per output";
            }
        }

        return null;
    }

    /// <summary>
    /// Why a Conv cannot take 8-bit activations (QuantizedConvOp, ConvInteger in the compressed .onnx), or null: 1 or 2
    /// spatial axes, no negative pads, and for grouped convs at least 4 input and 8 output channels per group (the
    /// kernel's lanes hold 4 input and 16 output channels, so a depthwise conv would waste most of them; the float
    /// depthwise kernel is faster there).
    /// </summary>
    private static string? ConvRefusal(ModelGraph graph, LayerWeight layer)
    {
        var node = layer.Node;
        if (graph.GetInitializer(layer.Name) is not { Dims.Length: 3 or 4 } w)
        {
            return "a Conv with other than 1 or 2 spatial axes";
        }

        if (node.GetInts("pads") is { } pads && pads.Any(p => p < 0))
        {
            return "a Conv with negative pads";
        }

        if (node.InputOrNull(2) is { Length: > 0 } bias && graph.GetInitializer(bias) is not { DataType: DataType.Float })
        {
            return "a Conv whose bias is not a float constant";
        }

        var group = node.GetInt("group", 1);
        if (group > 1 && (w.Dims[1] < 4 || w.Dims[0] / group < 8))
        {
            return $"a grouped Conv with {w.Dims[1]} input and {w.Dims[0] / group} output channel(s) per group (depthwise and narrow groups run faster in float; 8-bit activations need ≥ 4 input and ≥ 8 output channels per group)";
        }

        return null;
    }

    /// <summary>Gemm's C as a bias: one value per output column, or one for all.</summary>
    internal static bool IsPerColumn(long[] dims, int n) => dims switch
    {
        [] => true,
        [var d] => d == n || d == 1,
        [1, var d] => d == n || d == 1,
        _ => false,
    };
}
