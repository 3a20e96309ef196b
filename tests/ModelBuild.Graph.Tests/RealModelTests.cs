using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;
using ModelBuild.Graph.Passes;

namespace ModelBuild.Graph.Tests;

/// <summary>The four shared models: simplified graphs must compute what the originals compute (ONNX Runtime on both).</summary>
public sealed class RealModelTests
{
    public static TheoryData<string, long> Models => new()
    {
        { "mnist-8.onnx", 1 },
        { "mnist_mlp_256.onnx", 2 },
        { "mnist_cnn_fc128.onnx", 2 },
        { "squeezenet_cifar10.onnx", 2 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Simplified_MatchesOriginal_OnRandomInputs(string file, long batch)
    {
        var (original, graph) = ImportAndSimplify(file);
        Assert.Equal(OnnxImporter.Import(TestPaths.Model(file)).Outputs.Select(o => o.Name), graph.Outputs.Select(o => o.Name));
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var inputs = OrtReference.RandomInputs(graph, batch, seed);
            AssertSameOutputs(original, OnnxExporter.ToBytes(graph), inputs);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void InferredShapes_EqualOrtShapes_OnOriginal(string file, long batch)
    {
        var graph = OnnxImporter.Import(TestPaths.Model(file));
        ShapeInference.Run(graph);
        var count = OrtReference.AssertInferredShapesMatch(graph, OrtReference.RandomInputs(graph, batch), batch);
        Assert.Equal(graph.Nodes.Sum(n => n.Outputs.Count(o => o.Length > 0)), count);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void InferredShapes_EqualOrtShapes_AfterSimplify(string file, long batch)
    {
        var (_, graph) = ImportAndSimplify(file);
        var count = OrtReference.AssertInferredShapesMatch(graph, OrtReference.RandomInputs(graph, batch), batch);
        Assert.True(count >= graph.Nodes.Count);
    }

    [Fact]
    public void MnistMlp_DynamicFlatten_BecomesConstantReshape()
    {
        var (_, graph) = ImportAndSimplify("mnist_mlp_256.onnx");
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "Shape" or "Gather" or "Unsqueeze" or "Concat");
        var reshape = Assert.Single(graph.Nodes, n => n.OpType == "Reshape");
        Assert.Equal([0L, -1L], graph.GetInitializer(reshape.Inputs[1])!.ToInt64s());
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "Gemm"));
        Assert.Equal("[batch,784]", graph.ValueInfos[reshape.Outputs[0]].Shape!.ToString());
        Assert.Equal("[batch,10]", graph.ValueInfos[graph.Outputs[0].Name].Shape!.ToString());
    }

    [Fact]
    public void Mnist8_BiasAddsFused_WeightReshapeFolded()
    {
        var (_, graph) = ImportAndSimplify("mnist-8.onnx");
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Add");
        Assert.All(graph.Nodes.Where(n => n.OpType == "Conv"), c => Assert.Equal(3, c.Inputs.Count));
        var gemm = Assert.Single(graph.Nodes, n => n.OpType == "Gemm");
        Assert.Equal([256L, 10L], graph.GetInitializer(gemm.Inputs[1])!.Dims);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "MatMul");

        // Only the activation Reshape is left; the weight Reshape became a [256,10] initializer.
        Assert.Single(graph.Nodes, n => n.OpType == "Reshape");
        Assert.Equal(graph.Nodes.SelectMany(n => n.Inputs).Where(graph.IsInitializer).Distinct().Count(), graph.InitializerCount);
    }

    [Fact]
    public void MnistCnn_SymbolicBatch_StaysSymbolic()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_cnn_fc128.onnx"));
        GraphOptimizer.Simplify(graph);
        ShapeInference.Run(graph);
        foreach (var node in graph.Nodes)
        {
            Assert.Equal("batch_size", graph.ValueInfos[node.Outputs[0]].Shape![0].Symbol);
        }

        Assert.Equal("[batch_size,10]", graph.ValueInfos["output"].Shape!.ToString());
    }

    [Theory]
    [InlineData("mnist-8.onnx", 1, false)]
    [InlineData("mnist_mlp_256.onnx", 8, false)]
    [InlineData("mnist_cnn_fc128.onnx", 8, true)]
    public void Simplified_MatchesOriginal_OnMnistImages(string file, int batch, bool centred)
    {
        var (original, graph) = ImportAndSimplify(file);
        var simplified = OnnxExporter.ToBytes(graph);
        var images = MnistImages.Read(16);
        for (var start = 0; start < images.Length; start += batch)
        {
            var pixels = images.Skip(start).Take(batch).SelectMany(img => img)
                .Select(p => centred ? ((p / 255f) - 0.5f) / 0.5f : p / 255f).ToArray();
            var inputs = new Dictionary<string, OrtTensor> { [graph.Inputs[0].Name] = new([batch, 1, 28, 28], pixels) };
            AssertSameOutputs(original, simplified, inputs);
        }
    }

    internal static (byte[] Original, ModelGraph Simplified) ImportAndSimplify(string file)
    {
        var path = TestPaths.Model(file);
        var graph = OnnxImporter.Import(path);
        GraphOptimizer.Simplify(graph);
        ShapeInference.Run(graph);
        return (File.ReadAllBytes(path), graph);
    }

    private static void AssertSameOutputs(byte[] original, byte[] simplified, Dictionary<string, OrtTensor> inputs)
    {
        var expected = OrtReference.Run(original, inputs);
        var actual = OrtReference.Run(simplified, inputs);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value.Shape, actual[name].Shape);
            OrtReference.AssertClose(value.Floats!, actual[name].Floats!, name);
        }
    }
}
