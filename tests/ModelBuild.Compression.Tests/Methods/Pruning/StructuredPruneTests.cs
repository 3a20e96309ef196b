using ModelBuild.Compression.Tests.Support;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary><c>prune-structured</c> on MNIST: the graph really shrinks, ONNX Runtime agrees on the shapes, reconstruction helps.</summary>
public sealed class StructuredPruneTests(ITestOutputHelper output)
{
    private static string Manifest(string settings) => SparseGptAccuracyTests.Prune($"{settings}", "prune-structured");

    [Fact]
    public void Half_of_fc1_gives_a_smaller_graph_that_onnx_runtime_runs_with_the_inferred_shapes()
    {
        var original = MethodHarness.LoadGraph(MnistCase.Cnn);
        var context = MethodHarness.Apply(MnistCase.Cnn, Manifest("\"fraction\":0.5,\"layers\":[\"fc1.weight\"]"));
        var graph = context.Graph;

        Assert.Equal([64L, 3136], graph.GetInitializer("fc1.weight")!.Dims);
        Assert.Equal([64L], graph.GetInitializer("fc1.bias")!.Dims);
        Assert.Equal([10L, 64], graph.GetInitializer("fc2.weight")!.Dims);
        Assert.True(graph.Initializers.Sum(t => t.ElementCount) < original.Initializers.Sum(t => t.ElementCount) - (64 * 3136));

        // Record exports the graph with OnnxExporter and runs it in ONNX Runtime: the hidden layer's shape there is
        // what shape inference says.
        var fc1 = graph.Nodes.Single(n => n.Inputs.Contains("fc1.weight")).Outputs[0];
        var recorded = context.Record([fc1], "test")[fc1];
        Assert.Equal([256, 64], recorded.Shape);
        Assert.Equal(64, graph.GetValueInfo(fc1)!.Shape![1].Value);

        var accuracy = MethodHarness.Accuracy(graph, MnistCase.Cnn);
        output.WriteLine($"fc1 50 % structured (l1): {accuracy:P2}");
        Assert.True(accuracy > 0.97, $"{accuracy:P2}");
    }

    [Fact]
    public void Reconstruction_recovers_accuracy_after_structured_pruning()
    {
        const string Settings = "\"fraction\":0.75,\"layers\":[\"fc1.weight\"]";
        var plain = MethodHarness.Accuracy(MethodHarness.Apply(MnistCase.Cnn, Manifest(Settings)).Graph, MnistCase.Cnn);
        var refit = MethodHarness.Accuracy(MethodHarness.Apply(MnistCase.Cnn, Manifest(Settings + ",\"reconstruct\":true")).Graph, MnistCase.Cnn);
        output.WriteLine($"fc1 75 %: {plain:P2} without, {refit:P2} with reconstruction");

        Assert.True(refit > plain + 0.01, $"reconstruction {refit:P2} vs {plain:P2}");
    }

    [Theory]
    [InlineData("l2")]
    [InlineData("taylor")]
    public void Conv_channels_are_cut_through_relu_maxpool_and_reshape(string criterion)
    {
        var context = MethodHarness.Apply(MnistCase.Cnn, Manifest($"\"fraction\":0.5,\"criterion\":\"{criterion}\",\"reconstruct\":true"));
        var graph = context.Graph;

        Assert.Equal([16L, 1, 3, 3], graph.GetInitializer("conv1.weight")!.Dims);
        Assert.Equal([32L, 16, 3, 3], graph.GetInitializer("conv2.weight")!.Dims);
        Assert.Equal([64L, 32 * 7 * 7], graph.GetInitializer("fc1.weight")!.Dims); // 32 channels × 7×7 features
        Assert.Equal([10L, 64], graph.GetInitializer("fc2.weight")!.Dims); // the output layer keeps its 10 classes
        Assert.Contains(context.Notes, n => n.Contains("graph output", StringComparison.Ordinal));

        var accuracy = MethodHarness.Accuracy(graph, MnistCase.Cnn);
        output.WriteLine($"all layers 50 % ({criterion}, reconstruct): {accuracy:P2}");
        Assert.True(accuracy > 0.95, $"{accuracy:P2}");
    }
}
