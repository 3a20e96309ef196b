using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Onnx.Tests;

/// <summary>Import → export of the real models in ../shared/models, checked against ONNX Runtime on the original file.</summary>
public sealed class RealModelRoundTripTests
{
    public static TheoryData<string, long> Models => new()
    {
        // Parameter counts published in shared/models/README.md: the elements of the file's initializers
        // (mnist-8 includes its two int64 shape initializers; Constant-node values are not counted).
        { "mnist-8.onnx", 5_998 },
        { "mnist_mlp_256.onnx", 235_146 },
        { "mnist_cnn_fc128.onnx", 421_642 },
        { "squeezenet_cifar10.onnx", 73_546 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Export_RunsBitIdenticalToOriginal_OnRandomInputs(string file, long expectedParams)
    {
        var path = TestPaths.Model(file);
        var graph = OnnxImporter.Import(path);
        var initializerElements = graph.Initializers.Where(t => t.Origin == TensorOrigin.Initializer).Sum(t => t.ElementCount);
        Assert.Equal(expectedParams, initializerElements);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Constant");

        var exported = OnnxExporter.ToBytes(graph);
        var random = new Random(1234);
        var inputs = graph.Inputs.ToDictionary(i => i.Name, i =>
        {
            var dims = i.Shape!.Select(d => (int)(d.Value ?? 2)).ToArray();
            var data = new float[dims.Aggregate(1, (a, b) => a * b)];
            for (var k = 0; k < data.Length; k++)
            {
                data[k] = (float)(random.NextDouble() * 2 - 0.5);
            }

            return (data, dims);
        });

        OrtRunner.AssertBitIdentical(OrtRunner.Run(path, inputs), OrtRunner.Run(exported, inputs));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Export_IsDeterministic_AndAFixedPoint(string file, long expectedParams)
    {
        _ = expectedParams;
        var graph = OnnxImporter.Import(TestPaths.Model(file));
        var first = OnnxExporter.ToBytes(graph);
        var second = OnnxExporter.ToBytes(graph);
        Assert.Equal(first, second);

        var reimported = OnnxImporter.Import(OnnxReader.Read(first, baseDirectory: null));
        Assert.Equal(first, OnnxExporter.ToBytes(reimported));
        Assert.Equal(graph.Inputs.Select(i => i.Name), reimported.Inputs.Select(i => i.Name));
        Assert.Equal(graph.Initializers.Select(t => t.Name), reimported.Initializers.Select(t => t.Name));
    }

    [Theory]
    [InlineData("mnist-8.onnx", 1)]
    [InlineData("mnist_mlp_256.onnx", 2)]
    [InlineData("mnist_cnn_fc128.onnx", 3)]
    public void Export_RunsBitIdenticalToOriginal_OnMnistDigits(string file, int scaling)
    {
        var path = TestPaths.Model(file);
        var graph = OnnxImporter.Import(path);
        var exported = OnnxExporter.ToBytes(graph);
        var input = Assert.Single(graph.Inputs);
        var batch = input.Shape![0].IsKnown ? 1 : 4;
        var images = MnistImages.ReadTest(4);
        for (var start = 0; start < images.Length; start += batch)
        {
            // Each model's training preprocessing (shared/models/README.md).
            var data = images.Skip(start).Take(batch).SelectMany(img => img.Select(p => scaling == 3 ? (p / 255f - 0.5f) / 0.5f : p / 255f)).ToArray();
            var inputs = new Dictionary<string, (float[], int[])> { [input.Name] = (data, [batch, 1, 28, 28]) };
            OrtRunner.AssertBitIdentical(OrtRunner.Run(path, inputs), OrtRunner.Run(exported, inputs));
        }
    }

    [Fact]
    public void Import_KeepsModelFacts_OfMnistMlp()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        Assert.Equal(7, graph.IrVersion);
        Assert.Equal("pytorch", graph.ProducerName);
        Assert.Contains(graph.Opsets, o => o.Domain == "" && o.Version == 12);
        var input = Assert.Single(graph.Inputs);
        Assert.Equal(DataType.Float, input.ElementType);
        Assert.Equal("batch", input.Shape![0].Symbol);
        Assert.Equal([1L, 28, 28], input.Shape.Skip(1).Select(d => d.Value!.Value));
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "Gemm"));
        Assert.Equal([256L, 784], graph.GetInitializer("net.0.weight")!.Dims);
        Assert.Equal(2, graph.Initializers.Count(t => t.Origin == TensorOrigin.ConstantNode));
    }

    [Fact]
    public void Import_OldIrModel_DropsInitializersFromInputs_AndExportListsThemAgain()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist-8.onnx"));
        Assert.Equal(3, graph.IrVersion);
        Assert.Equal("Input3", Assert.Single(graph.Inputs).Name);
        var exported = OnnxReader.Read(OnnxExporter.ToBytes(graph), null);
        Assert.Equal(1 + graph.InitializerCount, exported.Graph.Input.Count);
    }
}
