using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Evaluation.Tests;

/// <summary>
/// A model whose input has unknown dimensions besides the batch (PaddleOCR's recogniser: [N, 3, 48, W]): the accuracy
/// gate's runs and the calibration recordings take those dimensions from the data's sample shape, and say clearly
/// what to give when the data cannot fill them in (found by a new-user trial: the build failed with MB4004 whatever
/// the manifest said).
/// </summary>
public sealed class UnknownDimensionTests
{
    private static ModelGraph NegatedWithWidth()
    {
        // y = −x on [N, 2, W], W symbolic.
        var graph = new ModelGraph { Name = "width", IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        var shape = TensorShape.Of(Dim.Sym("N"), Dim.Of(2), Dim.Sym("W"));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, shape));
        graph.Nodes.Add(new Node("Neg", ["x"], ["y"], "neg"));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, shape));
        return graph;
    }

    private static readonly float[] Samples = [.. Enumerable.Range(1, 18).Select(i => (float)i)]; // 3 samples of [2, 3]

    [Fact]
    public void RunAll_TakesTheUnknownDimensionsFromTheDataShape()
    {
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(NegatedWithWidth()), "width");
        Assert.Equal(Samples.Select(v => -v), session.RunAll(Samples, 3, dataShape: [2, 3]));
        Assert.Equal(Samples.Select(v => -v), session.RunAll(Samples, 3, batchSize: 2, dataShape: [2, 3]));
    }

    [Theory]
    [InlineData(null, "the data gives no sample shape")]
    [InlineData(new[] { 6 }, "the data's samples are [6]")] // another rank
    [InlineData(new[] { 3, 2 }, "the data's samples are [3,2]")] // the known dimension differs
    public void RunAll_WithoutAFittingDataShape_FailsWithMB4004SayingWhatToGive(int[]? dataShape, string expected)
    {
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(NegatedWithWidth()), "width");
        var e = Assert.Throws<ModelBuildException>(() => session.RunAll(Samples, 3, dataShape: dataShape));
        Assert.Equal("MB4004", e.Code);
        Assert.Contains(expected, e.Message);
        Assert.Contains("[-1,2,-1]", e.Message);
        Assert.Contains("\"sampleShape\": [2, <size>]", e.Message);
    }

    [Fact]
    public void RunAll_DataThatDoesNotFitTheResolvedShape_FailsWithMB4002()
    {
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(NegatedWithWidth()), "width");
        var e = Assert.Throws<ModelBuildException>(() => session.RunAll(Samples, 4, dataShape: [2, 3]));
        Assert.Equal("MB4002", e.Code);
    }

    [Fact]
    public void Recorder_TakesTheUnknownDimensionsFromTheDataShape()
    {
        var recorded = ActivationRecorder.Record(NegatedWithWidth(), ["y"], Samples, 3, dataShape: [2, 3]);
        Assert.Equal([3, 2, 3], recorded["y"].Shape);
        Assert.Equal(Samples.Select(v => -v), recorded["y"].Data);
        var e = Assert.Throws<ModelBuildException>(() => ActivationRecorder.Record(NegatedWithWidth(), ["y"], Samples, 3));
        Assert.Equal("MB4004", e.Code);
    }
}
