using Google.Protobuf;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Representation;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Plans a model the generated runtime does not cover to run in ONNX Runtime behind the same generated class
/// (CONTRACTS §1, <c>op OnnxRuntime</c>): the graph inputs and outputs as activations and one operator call that
/// hands them to an <c>InferenceSession</c>. The weights go into the blob as the passes stored them (int8, palettes…),
/// the graph itself into a bytes entry without those initializers, so the embedded resource is the compressed size;
/// ModelBuild.OnnxRuntime decodes every weight to float32 once and appends them to the graph when it creates the session.
/// </summary>
internal static class FallbackPlanBuilder
{
    /// <summary>The blob entry that holds the ONNX graph (ModelProto bytes without the initializers the blob holds).</summary>
    public const string GraphEntryName = "(onnx runtime graph)";

    /// <summary>Initializers smaller than this stay inside the graph (a blob entry costs a name and 16-byte alignment).</summary>
    private const long MinBlobElements = 16;

    public static (ModelPlan Plan, WeightTable Weights, byte[] Graph) Build(ModelGraph graph, string modelPath, PlanTarget target,
        IReadOnlyDictionary<string, StoredMatrix> stored, IReadOnlyList<LayerWeight> layers, IReadOnlyDictionary<string, DataType> widened)
    {
        var plan = new ModelPlan { ClassName = target.ClassName, Namespace = target.Namespace, SourceFile = target.SourceFile, ResourceName = target.ResourceName };
        var inputs = graph.Inputs.Where(i => !graph.IsInitializer(i.Name)).ToList();
        foreach (var input in inputs)
        {
            var shape = input.Shape ?? throw new ModelBuildException("MB3002", modelPath,
                $"the input '{input.Name}' has no shape (not even a rank). Pin it with InputShapes=\"{input.Name}=1,3,224,224\" on the OnnxModel item or the manifest's \"inputs\" section.");
            Add(plan, plan.Inputs, input, shape, modelPath, "input");
        }

        foreach (var output in graph.Outputs)
        {
            Add(plan, plan.Outputs, output, graph.GetValueInfo(output.Name)?.Shape ?? output.Shape, modelPath, "output");
        }

        var weights = new WeightTable();
        var transposed = new List<int>();
        var inBlob = new List<TensorProto>();
        var model = OnnxExporter.ToModelProto(graph);
        var byLayer = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        foreach (var init in model.Graph.Initializer)
        {
            var tensor = graph.GetInitializer(init.Name);
            if (tensor is null || tensor.DataType != DataType.Float)
            {
                continue;
            }

            var layer = byLayer.GetValueOrDefault(init.Name);
            var matrix = stored.GetValueOrDefault(init.Name);
            var transpose = layer is { Layout: MatrixLayout.ColumnsFirst } && tensor.Dims.Length == 2;
            if (widened.TryGetValue(init.Name, out var original))
            {
                // The graph computes in the model's own precision: keep such weights inline, narrowed back (rare: fp16 models).
                var values = matrix is null ? tensor.ToFloats() : Layout(matrix.Decode(), layer!, transpose);
                init.DataType = (int)original;
                init.RawData = ByteString.CopyFrom(WeightPrecision.Encode(values, original));
                continue;
            }

            if (matrix is null && tensor.ElementCount < MinBlobElements)
            {
                continue;
            }

            var dims = tensor.Dims.Select(d => checked((int)d)).ToArray();
            int entry;
            if (matrix is not null && (layer!.Layout == MatrixLayout.RowsFirst || transpose))
            {
                // The stored matrix is rows × cols with one row per output unit; MatMul's [K, N] is its transpose.
                entry = weights.AddStored("w:" + init.Name, init.Name, matrix, transpose ? [dims[1], dims[0]] : dims);
                if (transpose)
                {
                    transposed.Add(entry);
                }
            }
            else
            {
                entry = weights.AddFloats("w:" + init.Name, init.Name, matrix is null ? tensor.ToFloats() : Layout(matrix.Decode(), layer!, transpose), dims);
            }

            inBlob.Add(init);
        }

        // The runtime appends them again with their decoded values (protobuf merges a repeated field's occurrences).
        foreach (var init in inBlob)
        {
            model.Graph.Initializer.Remove(init);
        }

        var graphBytes = ModelBuild.Onnx.OnnxWriter.Write(model);
        plan.Weights.AddRange(weights.Entries.Select((w, i) => new PlanWeight(i, w.Name, w.Format, w.Dims)));
        plan.Weights.Add(new PlanWeight(weights.Entries.Count, GraphEntryName, "bytes", [graphBytes.Length]));
        plan.Ops.Add(new OnnxRuntimeOp(
            plan.Inputs.Select(i => i.Value).ToArray(),
            plan.Outputs.Select(o => o.Value).ToArray(),
            weights.Entries.Count,
            Enumerable.Range(0, weights.Entries.Count).ToArray(),
            transposed.ToArray()) { Node = $"{graph.Nodes.Count} ONNX node(s) in ONNX Runtime" });
        return (plan, weights, graphBytes);
    }

    /// <summary>Declares a graph input or output as an activation of the typed API's element type (its own slot).</summary>
    private static void Add(ModelPlan plan, List<PlanTensor> list, ValueInfo info, TensorShape? shape, string modelPath, string what)
    {
        var type = TypedApiType(info.ElementType) ?? throw new ModelBuildException("MB3003", modelPath,
            $"the graph {what} '{info.Name}' is of type {info.ElementType}, which the generated class cannot take or return (its API has float, long and bool tensors), in generated code or in ONNX Runtime.");
        var id = plan.Values.Count;
        plan.Values.Add(ValueDecl.Activation(info.Name, type, id));
        var dims = shape?.Select(d => d.ToString()).ToList() ?? [];
        plan.ValueShapes.Add(dims);
        list.Add(new PlanTensor(list.Count, info.Name, id, type, dims, info.DocString?.Trim() ?? ""));
    }

    /// <summary>The typed API's element type for an ONNX type (the fallback converts at the boundary), or null.</summary>
    internal static TensorType? TypedApiType(DataType type) => type switch
    {
        DataType.Float or DataType.Float16 or DataType.BFloat16 or DataType.Double => TensorType.Float32,
        DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64 => TensorType.Int64,
        DataType.Bool => TensorType.Bool,
        _ => null,
    };

    /// <summary>A decoded matrix view (rows = output units) back in the ONNX tensor's layout.</summary>
    private static float[] Layout(float[] matrix, LayerWeight layer, bool transpose)
    {
        if (!transpose)
        {
            return matrix;
        }

        var result = new float[matrix.Length];
        for (var r = 0; r < layer.Rows; r++)
        {
            for (var c = 0; c < layer.Cols; c++)
            {
                result[(c * layer.Rows) + r] = matrix[(r * layer.Cols) + c];
            }
        }

        return result;
    }
}
