using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using static ModelBuild.Onnx.Tests.ProtoBuilders;

namespace ModelBuild.Onnx.Tests;

/// <summary>Corrupt and hostile files must fail with the right code, without large allocations.</summary>
public sealed class HostileInputTests
{
    [Fact]
    public void MissingFile_IsMB1001()
    {
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read("/nonexistent/dir/model.onnx"));
        Assert.Equal("MB1001", e.Code);
        Assert.Contains("model.onnx", e.Message);
        Assert.StartsWith("/nonexistent/dir/model.onnx: error MB1001: ", e.ToCanonicalString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomBytes_AreMB1002(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);
        Assert.Equal("MB1002", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(bytes, null)).Code);
    }

    [Fact]
    public void EmptyFile_IsMB1002()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.onnx"), []);
        Assert.Equal("MB1002", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(dir.File("empty.onnx"))).Code);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void TruncatedModelFile_IsMB1002(double keep)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestPaths.Model("mnist_mlp_256.onnx"));
        var path = dir.File("truncated.onnx");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(path));
        Assert.Equal("MB1002", e.Code);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void HugeDeclaredDims_AreMB1003_WithoutAllocating()
    {
        var tensor = RawTensor("W", TensorProto.Types.DataType.Float, [1_000_000_000, 1_000_000_000], new byte[16]);
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(WithInitializer(tensor), null));
        Assert.Equal("MB1003", e.Code);
        Assert.Contains("MaxTensorElements", e.Message);
    }

    [Fact]
    public void RankOverLimit_IsMB1003()
    {
        var tensor = RawTensor("W", TensorProto.Types.DataType.Float, Enumerable.Repeat(1L, 17).ToArray(), new byte[4]);
        Assert.Equal("MB1003", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(WithInitializer(tensor), null)).Code);
    }

    [Fact]
    public void FileOverSizeLimit_IsMB1003()
    {
        var limits = new OnnxReadLimits { MaxFileBytes = 1000 };
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(TestPaths.Model("mnist-8.onnx"), limits));
        Assert.Equal("MB1003", e.Code);
        Assert.Contains("MaxFileBytes", e.Message);
    }

    [Theory]
    [InlineData(new long[] { 4, 4 }, 60)]   // raw_data shorter than dims
    [InlineData(new long[] { 4, 4 }, 68)]   // and longer
    [InlineData(new long[] { 4, -4 }, 64)]  // negative dim
    public void RawDataInconsistentWithDims_IsMB1006(long[] dims, int rawBytes)
    {
        var tensor = RawTensor("W", TensorProto.Types.DataType.Float, dims, new byte[rawBytes]);
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(WithInitializer(tensor), null));
        Assert.Equal("MB1006", e.Code);
        Assert.Contains("'W'", e.Message);
    }

    [Fact]
    public void TypedFieldCountInconsistentWithDims_IsMB1006()
    {
        var tensor = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange([3L]);
        tensor.Int64Data.AddRange([1L, 2]);
        Assert.Equal("MB1006", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(WithInitializer(tensor), null)).Code);

        var wrongField = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
        wrongField.Dims.AddRange([2L]);
        wrongField.DoubleData.AddRange([1.0, 2.0]);
        Assert.Equal("MB1006", Assert.Throws<ModelBuildException>(() => OnnxReader.Read(WithInitializer(wrongField), null)).Code);
    }

    [Fact]
    public void DeeplyNestedGraphs_AreMB1003()
    {
        // Node → attribute → subgraph → node → ..., 2000 levels, encoded by hand from the inside out.
        var graph = Array.Empty<byte>();
        for (var i = 0; i < 2000; i++)
        {
            var attribute = Field(6, graph);      // AttributeProto.g
            var node = Field(5, attribute);       // NodeProto.attribute
            graph = Field(1, node);               // GraphProto.node
        }

        byte[] model = [.. Field(7, graph), 0x08, 0x08]; // ModelProto.graph, ir_version = 8
        var e = Assert.Throws<ModelBuildException>(() => OnnxReader.Read(model, null));
        Assert.Equal("MB1003", e.Code);
        Assert.Contains("MaxRecursionDepth", e.Message);
    }

    [Fact]
    public void ModerateNesting_IsAccepted()
    {
        var inner = new GraphProto { Name = "body" };
        var node = Node("If", ["c"], ["y"], "if", new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
        var graph = new GraphProto { Name = "g" };
        graph.Node.Add(node);
        var model = OnnxReader.Read(OnnxWriter.Write(Model(graph)), null);
        Assert.Equal("body", model.Graph.Node[0].Attribute[0].G.Name);
    }

    private static byte[] WithInitializer(TensorProto tensor)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(tensor);
        return OnnxWriter.Write(Model(graph));
    }

    private static byte[] Field(int number, byte[] payload)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        output.Flush();
        return stream.ToArray();
    }
}
