using ModelBuild.Graph.Onnx;

namespace ModelBuild.Graph.Tests;

/// <summary>
/// <see cref="OnnxExporter.WriteTo"/> streams initializers one at a time (issue 12); its bytes must be exactly those
/// of <see cref="OnnxExporter.ToBytes"/>, which protobuf's own serialiser writes.
/// </summary>
public sealed class StreamingExportTests
{
    [Theory]
    [InlineData("mnist-8.onnx")]
    [InlineData("mnist_mlp_256.onnx")]
    [InlineData("mnist_cnn_fc128.onnx")]
    [InlineData("squeezenet_cifar10.onnx")]
    public void WriteTo_gives_the_bytes_of_ToBytes_on_the_shared_models(string file)
    {
        var graph = OnnxImporter.Import(TestPaths.Model(file));
        Assert.Equal(OnnxExporter.ToBytes(graph), Streamed(graph));
    }

    [Theory]
    [InlineData(8L)]
    [InlineData(3L)] // before IR 4 initializers are listed as graph inputs too
    public void WriteTo_gives_the_bytes_of_ToBytes_with_deferred_string_and_empty_tensors_and_every_header_field(long irVersion)
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        graph.IrVersion = irVersion;
        graph.ProducerName = "producer";
        graph.ProducerVersion = "1.2";
        graph.Domain = "ai.test";
        graph.ModelVersion = 7;
        graph.DocString = "model doc";
        graph.GraphDocString = "graph doc";
        graph.Metadata.Add(new("key", "value"));
        graph.UnmodelledOnnxModelFields = [0xCA, 0x01, 2, (byte)'a', (byte)'b']; // field 25 (functions), unknown to our schema: written last
        graph.UnmodelledOnnxGraphFields = [0x82, 0x01, 1, (byte)'x']; // field 16 of GraphProto, unknown too
        graph.SetInitializer(new Tensor("strings", DataType.String, [2], []) { StringData = [[1, 2], [3]] });
        graph.SetInitializer(Tensor.FromFloats("empty", [0, 3], []));
        var big = Enumerable.Range(0, 300).Select(i => (sbyte)(i % 251 - 125)).ToArray();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(big.AsSpan()).ToArray();
        graph.SetInitializer(new Tensor("deferred", DataType.Int8, [3, 100], bytes.Length, () => (byte[])bytes.Clone()));

        Assert.Equal(OnnxExporter.ToBytes(graph), Streamed(graph));
    }

    [Fact]
    public void Deferred_initializers_are_read_when_the_writer_reaches_them_not_before()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        using var output = new MemoryStream();
        var positions = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var values = Enumerable.Range(0, 4096).Select(v => (float)(v + i)).ToArray();
            graph.SetInitializer(new Tensor($"lazy{i}", DataType.Float, [4096], 4096 * 4, () =>
            {
                positions.Add(output.Length);
                return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            }));
        }

        OnnxExporter.WriteTo(graph, output);

        // Each source ran after the previous tensor's 16 KiB were written: never two deferred tensors' bytes at once.
        Assert.Equal(3, positions.Count);
        Assert.True(positions[0] > 0, "the first deferred tensor was read before anything was written");
        Assert.True(positions[1] >= positions[0] + (4096 * 4), $"tensor 1 was read at {positions[1]}, before tensor 0 (read at {positions[0]}) was written");
        Assert.True(positions[2] >= positions[1] + (4096 * 4), $"tensor 2 was read at {positions[2]}, before tensor 1 (read at {positions[1]}) was written");
    }

    private static byte[] Streamed(ModelGraph graph)
    {
        using var output = new MemoryStream();
        OnnxExporter.WriteTo(graph, output);
        return output.ToArray();
    }
}
