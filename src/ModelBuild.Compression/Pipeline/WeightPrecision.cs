using System.Buffers.Binary;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// float16, bfloat16 and float64 weights are widened to float32 when the model is read, so every pass (and the
/// default int8) treats them like float32 ones: the generated predictor computes in float32 anyway. For the
/// compressed .onnx, which ONNX Runtime must accept with the model's own types, they are narrowed back (a Cast
/// after a weight the export dequantises).
/// </summary>
internal static class WeightPrecision
{
    /// <summary>Widens every float16/bfloat16/float64 weight in place; returns their original types by name.</summary>
    public static Dictionary<string, DataType> Widen(ModelGraph graph)
    {
        var widened = new Dictionary<string, DataType>(StringComparer.Ordinal);
        foreach (var t in graph.Initializers.Where(t => t.DataType is DataType.Float16 or DataType.BFloat16 or DataType.Double).ToList())
        {
            widened[t.Name] = t.DataType;
            graph.SetInitializer(new Tensor(t.Name, DataType.Float, t.Dims, Tensor.FromFloats(t.Name, t.Dims, t.ToFloats()).RawData, t.Origin));
        }

        return widened;
    }

    /// <summary>Gives every widened weight its original type again, as the compressed .onnx must have it.</summary>
    public static void Narrow(ModelGraph graph, IReadOnlyDictionary<string, DataType> widened)
    {
        foreach (var (name, type) in widened)
        {
            if (graph.GetInitializer(name) is { DataType: DataType.Float } t)
            {
                graph.SetInitializer(new Tensor(name, type, t.Dims, Encode(t.ToFloats(), type), t.Origin));
            }
            else if (graph.Producer(name) is { } producer)
            {
                // The export computes this weight (DequantizeLinear, or Cast/Mul) in float32: cast its result back.
                var wide = graph.UniqueName(name + "_float32");
                producer.Outputs[producer.Outputs.IndexOf(name)] = wide;
                var cast = new Node("Cast", [wide], [name], graph.UniqueName(name + "_Cast"));
                cast.Attributes.Add(NodeAttribute.Of("to", (long)type));
                graph.Nodes.Insert(graph.Nodes.IndexOf(producer) + 1, cast);
                if (graph.ValueInfos.Remove(name, out var info))
                {
                    graph.ValueInfos[wide] = new ValueInfo(wide, DataType.Float, info.Shape);
                    graph.ValueInfos[name] = new ValueInfo(name, type, info.Shape);
                }
            }
        }
    }

    /// <summary>Bytes per element of a weight in the original file (4 for float32 and weights the model did not have).</summary>
    public static int OriginalElementSize(IReadOnlyDictionary<string, DataType> widened, string name) =>
        widened.TryGetValue(name, out var type) ? type.ElementSize() : 4;

    internal static byte[] Encode(float[] values, DataType type)
    {
        var size = type.ElementSize();
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++)
        {
            var at = bytes.AsSpan(i * size);
            switch (type)
            {
                case DataType.Float16: BinaryPrimitives.WriteUInt16LittleEndian(at, BitConverter.HalfToUInt16Bits((Half)values[i])); break;
                case DataType.BFloat16: BinaryPrimitives.WriteUInt16LittleEndian(at, Algorithms.Quantization.HalfPrecision.ToBFloat16(values[i])); break;
                default: BinaryPrimitives.WriteDoubleLittleEndian(at, values[i]); break;
            }
        }

        return bytes;
    }
}
