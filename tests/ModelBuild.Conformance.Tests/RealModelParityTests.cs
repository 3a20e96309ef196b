using ModelBuild.Evaluation;
using Xunit.Abstractions;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// Real models through ModelBuild (exact float32 weights) against ONNX Runtime on the same synthetic input. Only
/// models the generated runtime fully covers are listed; the README of the shared real models gives the measures.
/// </summary>
public sealed class RealModelParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// PP-OCR's DB text detector (Resize ×6 nearest-asymmetric-floor, ConvTranspose ×2, depthwise convs): the
    /// probability map must match ONNX Runtime's. Float32 reassociation across ~100 layers moves a sigmoid output by
    /// far less than 1e-3; a wrong upsampling or transposed convolution moves whole regions by tenths.
    /// </summary>
    [SkippableFact]
    public void Ppocr_det_probability_map_matches_onnx_runtime()
    {
        const string name = "ppocr_det";
        var model = RealModels.Get(name);
        var path = RealModels.PathOf(name);
        var input = model.SyntheticInput(seed: 7);
        using var session = OnnxRuntimeSession.FromFile(path);
        var (expected, shape) = session.Run(new Dictionary<string, (float[], int[])> { [session.InputNames[0]] = (input, model.InputShape) })[session.OutputNames[0]];

        var runner = ModelBuildRunner.Compile([ModelBuildRunner.Prepare(name, File.ReadAllBytes(path))]);
        var (dims, actual) = runner.Run(name, Graph.Tensor.FromFloats("x", model.InputShape.Select(d => (long)d).ToArray(), input))[0];

        Assert.Equal(shape.Select(d => (long)d), dims);
        double sum = 0, max = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(expected[i] - actual[i]);
            sum += diff;
            max = Math.Max(max, diff);
        }

        output.WriteLine($"{name}: mean |diff| {sum / expected.Length:G3}, max {max:G3} over {expected.Length} probabilities");
        Assert.True(max < 1e-3 && sum / expected.Length < 1e-4, $"mean |diff| {sum / expected.Length:G3}, max {max:G3}");
    }
}
