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

    [Theory]
    [InlineData("mnist_cnn_fc128.onnx", 64 * 1024)]
    [InlineData("squeezenet_cifar10.onnx", 1024)]
    [InlineData("mnist_mlp_256.onnx", 0)] // every tensor external, however small
    public void WriteWithExternalData_reads_back_as_the_same_model_with_large_tensors_in_aligned_segments(string file, long minBytes)
    {
        var graph = OnnxImporter.Import(TestPaths.Model(file));
        var dir = Directory.CreateTempSubdirectory("mb-external-").FullName;
        try
        {
            var path = Path.Combine(dir, "model.onnx");
            var dataPath = OnnxExporter.WriteWithExternalData(graph, path, minBytes);

            Assert.Equal(path + ".data", dataPath);
            var proto = ModelBuild.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            var external = proto.Graph.Initializer.Where(t => t.DataLocation == ModelBuild.Onnx.Proto.TensorProto.Types.DataLocation.External).ToList();
            Assert.Equal(graph.Initializers.Count(t => t.RawData.LongLength >= Math.Max(minBytes, 1)), external.Count);
            Assert.NotEmpty(external);
            Assert.All(proto.Graph.Initializer.Except(external), t => Assert.True(t.RawData.Length < minBytes));
            Assert.All(external, t =>
            {
                Assert.Empty(t.RawData);
                Assert.Equal("model.onnx.data", t.ExternalData.Single(e => e.Key == "location").Value);
                Assert.Equal(0, long.Parse(t.ExternalData.Single(e => e.Key == "offset").Value, System.Globalization.CultureInfo.InvariantCulture) % (64 * 1024));
            });

            // Our reader (which checks every segment against the file) gives back the model the inline writer writes.
            var reread = OnnxImporter.Import(path);
            Assert.Equal(OnnxExporter.ToBytes(graph), OnnxExporter.ToBytes(reread));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WriteWithExternalData_writes_each_deferred_tensor_once_and_after_the_model()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        var reads = new List<string>();
        var values = Enumerable.Range(0, 20000).Select(v => (float)v).ToArray();
        graph.SetInitializer(new Tensor("lazy", DataType.Float, [20000], 20000 * 4, () =>
        {
            reads.Add("lazy");
            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }));
        var dir = Directory.CreateTempSubdirectory("mb-external-").FullName;
        try
        {
            var path = Path.Combine(dir, "m.onnx");
            OnnxExporter.WriteWithExternalData(graph, path, 1024);
            Assert.Equal(["lazy"], reads);
            Assert.Equal(values, OnnxImporter.Import(path).GetInitializer("lazy")!.ToFloats());
            Assert.Throws<IOException>(() => OnnxExporter.WriteWithExternalData(graph, path, 1024)); // never overwrites
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[] Streamed(ModelGraph graph)
    {
        using var output = new MemoryStream();
        OnnxExporter.WriteTo(graph, output);
        return output.ToArray();
    }
}
