using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>
/// Writes an MLP whose float32 MatMul weights live in ONNX external data (<c>data_location = EXTERNAL</c>), for
/// measuring the compressor on models larger than memory would comfortably hold. The data file is written
/// streaming, one 1 MiB chunk at a time, so the generator itself never holds more than a chunk.
/// </summary>
internal static class LargeModelWriter
{
    /// <summary>
    /// Writes <c>x[N, width] → (MatMul W_i [width, width] → Relu) × layers</c> to <paramref name="modelPath"/> and
    /// its weights to <c>modelPath + ".data"</c>. Weights are He-uniform from a fixed hash (same bytes every run).
    /// </summary>
    /// <returns>The bytes of weights in the external data file (layers × width² × 4).</returns>
    public static long Write(string modelPath, int layers, int width)
    {
        var dataName = Path.GetFileName(modelPath) + ".data";
        var graph = new GraphProto { Name = "large_mlp" };
        graph.Input.Add(FloatValue("x", width));
        var bound = MathF.Sqrt(6f / width);
        long offset = 0;
        var chunk = new byte[1 << 20];
        using (var data = new FileStream(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, dataName), FileMode.Create, FileAccess.Write))
        {
            for (var l = 0; l < layers; l++)
            {
                var name = $"w{l}";
                var length = (long)width * width * 4;
                var weight = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
                weight.Dims.Add(width);
                weight.Dims.Add(width);
                weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                weight.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                weight.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                graph.Initializer.Add(weight);
                WriteValues(data, chunk, l, length / 4, bound);
                offset += length;

                var input = l == 0 ? "x" : $"r{l - 1}";
                var matmul = new NodeProto { OpType = "MatMul", Name = $"mm{l}" };
                matmul.Input.Add(input);
                matmul.Input.Add(name);
                matmul.Output.Add($"m{l}");
                var relu = new NodeProto { OpType = "Relu", Name = $"relu{l}" };
                relu.Input.Add($"m{l}");
                relu.Output.Add(l == layers - 1 ? "y" : $"r{l}");
                graph.Node.Add(matmul);
                graph.Node.Add(relu);
            }
        }

        graph.Output.Add(FloatValue("y", width));
        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Tests.LargeModelWriter", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        OnnxWriter.WriteFile(model, modelPath);
        return offset;
    }

    private static void WriteValues(Stream data, byte[] chunk, int layer, long count, float bound)
    {
        var state = 0x9E3779B97F4A7C15UL * (ulong)(layer + 1);
        for (long written = 0; written < count;)
        {
            var n = (int)Math.Min(chunk.Length / 4, count - written);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(chunk.AsSpan(0, n * 4));
            for (var i = 0; i < n; i++)
            {
                // splitmix64: cheap, deterministic and well spread; the top 24 bits give a uniform float in [0, 1).
                state += 0x9E3779B97F4A7C15UL;
                var z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                floats[i] = (((z >> 40) * (1f / (1 << 24))) * 2f - 1f) * bound;
            }

            data.Write(chunk, 0, n * 4);
            written += n;
        }
    }

    private static ValueInfoProto FloatValue(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
