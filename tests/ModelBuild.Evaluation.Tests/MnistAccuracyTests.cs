using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Tests;

/// <summary>Top-1 on all 10,000 t10k images must reproduce ../shared/models/README.md exactly.</summary>
[Collection("mnist")]
public sealed class MnistAccuracyTests(MnistFixture mnist)
{
    [Theory]
    [InlineData("mnist-8.onnx", "scale=1/255", 9890)]
    [InlineData("mnist_mlp_256.onnx", "scale=1/255", 9764)]
    [InlineData("mnist_cnn_fc128.onnx", "scale=1/255 mean=0.5 std=0.5", 9877)]
    public void Top1MatchesPublishedFigure(string model, string preprocessing, int expectedCorrect)
    {
        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model(model));
        var outputs = session.RunAll(mnist.Samples(PreprocessingSpec.Parse(preprocessing)), 10_000);

        Assert.Equal(10_000 * 10, outputs.Length);
        double accuracy = Metrics.Top1Accuracy(outputs, 10, mnist.Labels);
        Assert.Equal(expectedCorrect / 10_000.0, accuracy, 1e-9);
    }

    [Fact]
    public void DatasetSpecGivesTheSameSamplesAsTheReaders()
    {
        var spec = DatasetSpec.Parse("""
            { "images": "t10k-images-idx3-ubyte.gz", "labels": "t10k-labels-idx1-ubyte.gz",
              "format": "idx", "preprocessing": "symmetric", "count": 500, }
            """);
        var (samples, count, shape, labels) = spec.LoadSamples(TestPaths.MnistDir);

        Assert.Equal(500, count);
        Assert.Equal([1, 28, 28], shape);
        Assert.Equal(mnist.Labels[..500], labels);
        Assert.Equal(mnist.Samples(PreprocessingSpec.Parse("scale=1/255 mean=0.5 std=0.5"), 500), samples);
    }

    [Fact]
    public void BatchSizeDoesNotChangeResults()
    {
        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model("mnist_mlp_256.onnx"));
        var samples = mnist.Samples(PreprocessingSpec.Parse("unit"), 100);
        var big = session.RunAll(samples, 100);
        var small = session.RunAll(samples, 100, batchSize: 7);

        Assert.False(session.FixedBatch);
        Assert.Equal(-1, session.BatchSize);
        Assert.True(Metrics.MaxAbsDiff(big, small) < 1e-4, $"max diff {Metrics.MaxAbsDiff(big, small)}");
        Assert.Equal(1.0, Metrics.Agreement(big, small, 10));
    }

    [Fact]
    public void FixedBatchModelRunsPerSampleAndMatchesRunSingle()
    {
        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model("mnist-8.onnx"));
        var samples = mnist.Samples(PreprocessingSpec.Parse("unit"), 3);
        var all = session.RunAll(samples, 3, batchSize: 256);

        Assert.True(session.FixedBatch);
        Assert.Equal(1, session.BatchSize);
        Assert.Equal([1, 1, 28, 28], session.InputShape(0));
        Assert.Equal(["Input3"], session.InputNames);
        Assert.Equal(["Plus214_Output_0"], session.OutputNames);
        for (int i = 0; i < 3; i++)
        {
            var one = session.RunSingle(samples[(i * 784)..((i + 1) * 784)], [1, 1, 28, 28]);
            Assert.Equal(one, all[(i * 10)..((i + 1) * 10)]);
        }
    }

    [Fact]
    public void SymbolicBatchIsMinusOne()
    {
        using var session = OnnxRuntimeSession.FromFile(TestPaths.Model("mnist_cnn_fc128.onnx"));
        Assert.Equal([-1, 1, 28, 28], session.InputShape(0));
        var output = session.Run(
            new Dictionary<string, (float[] Data, int[] Shape)> { ["input"] = (new float[2 * 784], [2, 1, 28, 28]) });
        Assert.Equal([2, 10], output["output"].Shape);
    }

    [Fact]
    public void RefusedModelIsMB4001AndMissingModelIsMB1001()
    {
        var refused = Assert.Throws<ModelBuildException>(() => OnnxRuntimeSession.FromBytes([1, 2, 3, 4, 5], "junk.onnx"));
        Assert.Equal("MB4001", refused.Code);
        Assert.Equal("junk.onnx", refused.File);

        var missing = Assert.Throws<ModelBuildException>(() => OnnxRuntimeSession.FromFile("/nonexistent/model.onnx"));
        Assert.Equal("MB1001", missing.Code);
    }
}
