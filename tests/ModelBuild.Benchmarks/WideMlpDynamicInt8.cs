using Google.Protobuf;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Benchmarks;

/// <summary>
/// ONNX Runtime's own dynamic int8 form of the wide MLP, as <c>onnxruntime.quantization.quantize_dynamic</c> writes it:
/// per layer <c>DynamicQuantizeLinear(x)</c> → <c>MatMulInteger</c>(uint8 x, int8 per-channel weights [K, N]) →
/// <c>Cast</c> → <c>Mul</c>(x_scale · w_scale) → <c>Add</c>(bias) → <c>Relu</c>. The weight codes and scales are the
/// same as the "int8" blob's (<see cref="WideMlp.Linear"/>), so both sides run the same quantised model.
/// </summary>
internal static class WideMlpDynamicInt8
{
    public static byte[] Onnx()
    {
        (float[][] weights, float[][] biases) = WideMlp.Parameters();
        int[] sizes = WideMlp.Sizes;
        var graph = new GraphProto { Name = "wide_mlp_dynamic_int8" };
        graph.Input.Add(WideMlp.Value("x", sizes[0]));
        graph.Output.Add(WideMlp.Value("y", sizes[^1]));
        for (int l = 0; l < 3; l++)
        {
            int k = sizes[l], n = sizes[l + 1];
            var q = WideMlp.Linear(weights[l], n, k, 8, k);
            var transposed = new byte[k * n]; // MatMulInteger's B is [K, N]
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < k; i++)
                {
                    transposed[(i * n) + j] = (byte)q.Codes[(j * k) + i];
                }
            }

            var wq = new TensorProto { Name = $"w{l}_q", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(transposed) };
            wq.Dims.AddRange([k, n]);
            var wzp = new TensorProto { Name = $"w{l}_zp", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[n]) };
            wzp.Dims.Add(n);
            graph.Initializer.Add(wq);
            graph.Initializer.Add(wzp);
            graph.Initializer.Add(WideMlp.Tensor($"w{l}_scale", [n], q.Scales));
            graph.Initializer.Add(WideMlp.Tensor($"b{l}", [n], biases[l]));
            string input = l == 0 ? "x" : $"a{l - 1}", output = l == 2 ? "y" : $"h{l}";
            Add(graph, "DynamicQuantizeLinear", [input], [$"x{l}_q", $"x{l}_scale", $"x{l}_zp"]);
            Add(graph, "MatMulInteger", [$"x{l}_q", $"w{l}_q", $"x{l}_zp", $"w{l}_zp"], [$"p{l}_i32"]);
            Add(graph, "Cast", [$"p{l}_i32"], [$"p{l}_f"], new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            Add(graph, "Mul", [$"x{l}_scale", $"w{l}_scale"], [$"s{l}"]);
            Add(graph, "Mul", [$"p{l}_f", $"s{l}"], [$"m{l}"]);
            Add(graph, "Add", [$"m{l}", $"b{l}"], [output]);
            if (l < 2)
            {
                Add(graph, "Relu", [output], [$"a{l}"]);
            }
        }

        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return OnnxWriter.Write(model);
    }

    private static void Add(GraphProto graph, string op, string[] inputs, string[] outputs, AttributeProto? attribute = null)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] + "_" + op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        if (attribute is not null)
        {
            node.Attribute.Add(attribute);
        }

        graph.Node.Add(node);
    }
}
