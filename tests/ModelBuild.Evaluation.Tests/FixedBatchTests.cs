using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Evaluation.Tests;

/// <summary>A model whose batch is fixed at 3: the last partial batch is padded and the padding dropped.</summary>
public sealed class FixedBatchTests
{
    private static ModelGraph NegatedRelu()
    {
        // y = Relu(-x) on [3, 2]: easy to compute by hand.
        var graph = new ModelGraph { Name = "fixed3", IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(3, 2)));
        graph.Nodes.Add(new Node("Neg", ["x"], ["negated"], "neg"));
        graph.Nodes.Add(new Node("Relu", ["negated"], ["y"], "relu"));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(3, 2)));
        return graph;
    }

    private static readonly float[] Samples = [1, -1, -2, 2, 3, -3, -4, 4, 5, -5];
    private static readonly float[] Expected = [0, 1, 2, 0, 0, 3, 4, 0, 0, 5];

    [Fact]
    public void RunAllPadsTheLastBatch()
    {
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(NegatedRelu()), "fixed3");
        Assert.True(session.FixedBatch);
        Assert.Equal(3, session.BatchSize);
        Assert.Equal(Expected, session.RunAll(Samples, 5));
        Assert.Empty(session.RunAll([], 0));
        var e = Assert.Throws<ModelBuildException>(() => session.RunAll(Samples, 4));
        Assert.Equal("MB4002", e.Code);
        Assert.Contains("10 values for 4 samples", e.Message);
    }

    [Fact]
    public void RecorderDropsPaddedRows()
    {
        var recorded = ActivationRecorder.Record(NegatedRelu(), ["negated", "y"], Samples, 5);
        Assert.Equal([5, 2], recorded["negated"].Shape);
        Assert.Equal(Samples.Select(v => -v), recorded["negated"].Data);
        Assert.Equal(Expected, recorded["y"].Data);
        Assert.Equal([5, 2], recorded["y"].Shape);
    }
}
