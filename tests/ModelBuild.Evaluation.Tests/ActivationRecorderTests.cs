using ModelBuild.Evaluation.Data;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Evaluation.Tests;

[Collection("mnist")]
public sealed class ActivationRecorderTests(MnistFixture mnist)
{
    [Fact]
    public void DynamicBatchModelRecordsEveryReluAndTheOutput()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_cnn_fc128.onnx"));
        var relus = graph.Nodes.Where(n => n.OpType == "Relu").Select(n => n.Outputs[0]).ToList();
        Assert.Equal(3, relus.Count);
        var outputsBefore = graph.Outputs.ToList();
        // 300 samples in batches of 256 exercises the concatenation of a full and a partial batch.
        const int Count = 300;
        var samples = mnist.Samples(PreprocessingSpec.Parse("symmetric"), Count);

        var recorded = ActivationRecorder.Record(graph, [.. relus, "output"], samples, Count);

        Assert.Equal(outputsBefore, graph.Outputs);
        Assert.Equal([Count, 32, 28, 28], recorded[relus[0]].Shape);
        Assert.Equal([Count, 64, 14, 14], recorded[relus[1]].Shape);
        Assert.Equal([Count, 128], recorded[relus[2]].Shape);
        Assert.Equal([Count, 10], recorded["output"].Shape);
        Assert.Equal(Count * 32 * 28 * 28, recorded[relus[0]].Data.Length);
        Assert.True(recorded[relus[0]].Data.All(v => v >= 0));

        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model("mnist_cnn_fc128.onnx"));
        var reference = session.RunAll(samples, Count);
        // Same batches, same kernels: the extra outputs must not change a single bit of the final output.
        Assert.Equal(reference, recorded["output"].Data);

        // The last ReLU feeds fc2 directly: output = relu3 · W2ᵀ + b2, checked in double.
        var w2 = graph.GetInitializer("fc2.weight")!.ToFloats();
        var b2 = graph.GetInitializer("fc2.bias")!.ToFloats();
        var hidden = recorded[relus[2]].Data;
        for (int s = 0; s < Count; s += 37)
        {
            for (int j = 0; j < 10; j++)
            {
                double sum = b2[j];
                for (int k = 0; k < 128; k++)
                {
                    sum += (double)hidden[(s * 128) + k] * w2[(j * 128) + k];
                }

                Assert.Equal(sum, reference[(s * 10) + j], 1e-4);
            }
        }
    }

    [Fact]
    public void FixedBatchModelRecordsPerSampleAndBatchIndependentValues()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist-8.onnx"));
        string firstRelu = graph.Nodes.First(n => n.OpType == "Relu").Outputs[0];
        // The FC weight is reshaped from an initializer: a value that does not depend on the batch.
        var weightReshape = graph.Nodes.First(n => n.OpType == "Reshape" && graph.IsInitializer(n.Inputs[0])).Outputs[0];
        string output = graph.Outputs[0].Name;
        var samples = mnist.Samples(PreprocessingSpec.Parse("unit"), 5);

        var recorded = ActivationRecorder.Record(graph, [firstRelu, weightReshape, output], samples, 5);

        Assert.Equal([5, 8, 28, 28], recorded[firstRelu].Shape);
        Assert.Equal([256, 10], recorded[weightReshape].Shape);
        Assert.Equal([5, 10], recorded[output].Shape);
        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model("mnist-8.onnx"));
        var reference = session.RunAll(samples, 5);
        Assert.Equal(reference, recorded[output].Data);
    }

    [Fact]
    public void UnknownValueNameIsRejected()
    {
        var graph = OnnxImporter.Import(TestPaths.Model("mnist_mlp_256.onnx"));
        Assert.Throws<ArgumentException>(() => ActivationRecorder.Record(graph, ["no-such-value"], new float[784], 1));
        Assert.Single(graph.Outputs);
    }
}
