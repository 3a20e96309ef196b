using ModelBuild.Compression.Export;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// The compressed model as standard ONNX that ONNX Runtime runs: int8 per-channel weights as DequantizeLinear
/// (or Cast/Mul on old opsets); every other representation as its decoded float weights, so the file computes
/// exactly what the generated predictor computes.
/// </summary>
internal static class CompressedOnnx
{
    public static byte[] Build(CompressionContext context, IReadOnlyDictionary<string, Graph.DataType>? widened = null)
    {
        var quantized = new List<QuantizedTensor>();
        var int8Activations = new List<(LayerWeight, LinearQuantized, Passes.Activations.ActivationQuantization)>();
        foreach (var layer in context.Layers())
        {
            if (!context.Stored.TryGetValue(layer.Name, out var stored))
            {
                continue;
            }

            // The same test the planner makes before it emits QuantizedDenseOp, so both compute the same thing.
            if (context.ActivationQuant.TryGetValue(layer.Name, out var input) && Passes.Activations.ActivationQuantization.Applies(stored))
            {
                int8Activations.Add((layer, (LinearQuantized)stored, input));
            }
            else if (stored is LinearQuantized { Bits: 8, IsTernary: false } q && q.GroupSize >= q.Cols)
            {
                quantized.Add(ToTensor(layer, q, context.Graph.GetInitializer(layer.Name)!.Dims));
            }
            else
            {
                context.SetDecoded(layer, stored);
            }
        }

        var decoded = context.Stored.Keys.Where(k => !quantized.Exists(q => q.Name == k) && !int8Activations.Exists(a => a.Item1.Name == k))
            .Order(StringComparer.Ordinal).ToList();
        if (quantized.Count > 0)
        {
            context.Notes.Add($"storage: {string.Join(", ", quantized.Select(q => q.Name))}: int8 per channel, read directly by the kernels; DequantizeLinear (or Cast/Mul) in the compressed .onnx");
        }

        if (decoded.Count > 0)
        {
            context.Notes.Add($"storage: {string.Join(", ", decoded)}: compact formats decoded once at load into a cached float32 buffer; the compressed .onnx holds the same decoded float32 weights (ONNX has no standard form for them)");
        }

        if (int8Activations.Count > 0)
        {
            context.Notes.Add($"storage: {string.Join(", ", int8Activations.Select(a => a.Item1.Name))}: int8 per channel with 8-bit activations; DynamicQuantizeLinear (or QuantizeLinear) + MatMulInteger + scale Mul in the compressed .onnx");
        }

        QuantizedOnnxRewriter.Apply(context.Graph, quantized);
        ActivationQuantizedOnnxRewriter.Apply(context.Graph, int8Activations);
        if (widened is { Count: > 0 })
        {
            WeightPrecision.Narrow(context.Graph, widened);
        }

        return OnnxExporter.ToBytes(context.Graph);
    }

    private static QuantizedTensor ToTensor(LayerWeight layer, LinearQuantized q, long[] dims)
    {
        var codes = q.Codes;
        if (layer.Layout == MatrixLayout.ColumnsFirst)
        {
            codes = new sbyte[codes.Length];
            for (var r = 0; r < q.Rows; r++)
            {
                for (var c = 0; c < q.Cols; c++)
                {
                    codes[(c * q.Rows) + r] = q.Codes[(r * q.Cols) + c];
                }
            }
        }

        var axis = layer.Layout == MatrixLayout.RowsFirst ? 0 : 1;
        return new QuantizedTensor(layer.Name, dims.Select(d => (int)d).ToArray(), codes, q.Scales, q.ZeroPoints ?? [], axis);
    }
}
