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
    /// <summary>
    /// The largest compressed .onnx written as one file: protobuf's 2 GiB less a margin for
    /// <see cref="OnnxExporter.InlineBytes"/>'s estimate. Settable for tests, which write small models the large way.
    /// </summary>
    internal static long MaxInlineBytes { get; set; } = int.MaxValue - (1L << 20);

    public static byte[] Build(CompressionContext context, IReadOnlyDictionary<string, Graph.DataType>? widened = null)
    {
        Rewrite(context, widened);
        return OnnxExporter.ToBytes(context.Graph);
    }

    /// <summary>
    /// <see cref="Build"/>, streamed to staging files for <paramref name="path"/> (never one array in memory, issue 12):
    /// one file when it fits protobuf's 2 GiB, else the model with its weights as ONNX external data in
    /// <c>path + ".data"</c> (int4, palette or pruned layers are written as float32 here, so a large model's compressed
    /// .onnx can be as large as the original). The external pair is staged in a folder of its own, under the final
    /// names, so ONNX Runtime finds the data beside the staged model when the checks run it.
    /// </summary>
    /// <exception cref="ModelBuildException">MB0006 when the files cannot be written.</exception>
    public static StagedOnnx Stage(string path, CompressionContext context, IReadOnlyDictionary<string, Graph.DataType>? widened = null)
    {
        Rewrite(context, widened);
        if (OnnxExporter.InlineBytes(context.Graph) <= MaxInlineBytes)
        {
            var staged = OutputFiles.Stage(path, stream => OnnxExporter.WriteTo(context.Graph, stream));
            return new StagedOnnx(staged, [(path, staged)]);
        }

        var folder = StagedOnnx.ExternalFolder(path);
        var model = Path.Combine(folder, Path.GetFileName(path));
        try
        {
            Directory.CreateDirectory(folder);
            var data = OnnxExporter.WriteWithExternalData(context.Graph, model, minExternalBytes: 1024);
            return new StagedOnnx(model, [(path, model), (path + ".data", data)]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StagedOnnx.Discard(path);
            throw new ModelBuildException("MB0006", path, $"cannot write the outputs: {e.Message}", inner: e);
        }
        catch
        {
            StagedOnnx.Discard(path);
            throw;
        }
    }

    /// <summary>Rewrites <paramref name="context"/>'s graph into the compressed model and notes how each weight is stored.</summary>
    private static void Rewrite(CompressionContext context, IReadOnlyDictionary<string, Graph.DataType>? widened)
    {
        var quantized = new List<QuantizedTensor>();
        var int8Activations = new List<(LayerWeight, LinearQuantized, Passes.Activations.ActivationQuantization)>();
        foreach (var layer in context.Layers())
        {
            if (!context.Stored.TryGetValue(layer.Name, out var stored))
            {
                continue;
            }

            // The same test the planner makes before it emits QuantizedDenseOp/QuantizedConvOp, so both compute the same thing.
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

        var compact = context.Stored.Keys.Where(k => !quantized.Exists(q => q.Name == k) && !int8Activations.Exists(a => a.Item1.Name == k))
            .Order(StringComparer.Ordinal).ToList();

        // Gemm/MatMul layers run on their compact weights where the Dense kernels have a form for them (README, "Storage");
        // a weight another operator reads (Conv, …) is decoded once at load. The note must say which, not one claim for all.
        var denseLayers = context.Layers().Where(l => l.Node.OpType is "Gemm" or "MatMul").Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var dense = compact.Where(denseLayers.Contains).ToList();
        var decoded = compact.Where(k => !denseLayers.Contains(k)).ToList();
        if (dense.Count > 0)
        {
            context.Notes.Add($"storage: {string.Join(", ", dense)}: compact formats the Dense kernels read directly where they have a form for them (1–4-bit codes per channel or in groups, 1–4-bit palettes, float16/bfloat16, sparse with at most 25 % nonzeros), else decoded once at load into float32; the compressed .onnx holds the same decoded float32 weights (ONNX has no standard form for them)");
        }

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
            context.Notes.Add($"storage: {string.Join(", ", int8Activations.Select(a => a.Item1.Name))}: int8 per channel with 8-bit activations; DynamicQuantizeLinear (or QuantizeLinear) + MatMulInteger (Conv: ConvInteger) + scale Mul in the compressed .onnx");
        }

        QuantizedOnnxRewriter.Apply(context.Graph, quantized);
        ActivationQuantizedOnnxRewriter.Apply(context.Graph, int8Activations);
        if (widened is { Count: > 0 })
        {
            WeightPrecision.Narrow(context.Graph, widened);
        }

        WeightNodeOrder.Apply(context.Graph); // ONNX Runtime then dequantizes one layer's weights at a time, not all first
    }

    /// <summary>
    /// The int8 initializer of <paramref name="layer"/> as a view of the stored codes, not a copy: the graph's tensor
    /// produces its bytes when the writer (or a check) reads it, transposed for MatMul's [K, N] layout, and holds them
    /// no longer than its reader does (issue 12: one int8 copy of the model, the stored codes).
    /// </summary>
    private static QuantizedTensor ToTensor(LayerWeight layer, LinearQuantized q, long[] dims)
    {
        var axis = layer.Layout == MatrixLayout.RowsFirst ? 0 : 1;
        var shape = dims.Select(d => (int)d).ToArray();
        Func<byte[]> source = layer.Layout == MatrixLayout.RowsFirst
            ? () => (byte[])(object)q.Codes // the CLR lets sbyte[] be read as byte[] (same size, no copy); readers treat it as read-only
            : () => Transposed(q.Codes, q.Rows, q.Cols);
        return new QuantizedTensor(layer.Name, shape, q.Codes, q.Scales, q.ZeroPoints ?? [], axis) { ValuesSource = source };
    }

    /// <summary>The rows × cols codes as cols × rows bytes (in 64 × 64 tiles, so both sides stay in cache).</summary>
    private static byte[] Transposed(sbyte[] codes, int rows, int cols)
    {
        const int Tile = 64;
        var result = new byte[codes.Length];
        for (var r0 = 0; r0 < rows; r0 += Tile)
        {
            for (var c0 = 0; c0 < cols; c0 += Tile)
            {
                for (var r = r0; r < Math.Min(rows, r0 + Tile); r++)
                {
                    for (var c = c0; c < Math.Min(cols, c0 + Tile); c++)
                    {
                        result[(c * rows) + r] = (byte)codes[(r * cols) + c];
                    }
                }
            }
        }

        return result;
    }
}
