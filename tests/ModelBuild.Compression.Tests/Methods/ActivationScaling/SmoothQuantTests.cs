using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Evaluation;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.ActivationScaling;

/// <summary>
/// SmoothQuant (Xiao et al., 2023, arXiv:2211.10438) against plain W8A8 on the same model with activation outliers.
/// W8A8 is simulated independently of the passes and of the int8-activation runtime: the compressed graph's int8
/// weights decoded to float, and a QuantizeLinear/DequantizeLinear pair (ONNX Runtime's, per tensor, int8, static
/// scale max|x|/127 from the calibration data) inserted before every layer, as the paper's W8A8 setting quantises.
/// </summary>
public sealed class SmoothQuantTests(ITestOutputHelper output)
{
    private const int Calibration = 256;
    private const int HeldOut = 512;

    [Fact]
    public void SmoothQuant_lowers_the_simulated_W8A8_output_error_on_a_model_with_activation_outliers()
    {
        const string int8 = """{"quantize":{"weights":"int8"}}""";
        var plain = W8A8Error(int8, out _);
        var smooth = W8A8Error("""{"smoothquant":{}}, """ + int8, out var notes);

        output.WriteLine($"outlier MLP, simulated W8A8 relative squared output error on held-out inputs: SmoothQuant {smooth:E3}, plain {plain:E3}");
        Assert.True(smooth <= 0.5 * plain, $"SmoothQuant+W8A8 {smooth:E3} vs W8A8 {plain:E3}; {string.Join("; ", notes)}");
        Assert.Contains(notes, n => n.StartsWith("smoothquant 'B.weight'", StringComparison.Ordinal) && n.Contains("folded into Gemm 'A' through Relu", StringComparison.Ordinal));
    }

    [Fact]
    public void SmoothQuant_alone_leaves_the_float_output_unchanged()
    {
        var samples = ScalingModels.MlpSamples(Calibration, seed: 100);
        var context = ScalingModels.Context(ScalingModels.OutlierMlp(), samples, Calibration, [ScalingModels.MlpInputs]);
        Apply(context, """{"smoothquant":{"alpha":0.8}}""");
        var test = ScalingModels.MlpSamples(64, seed: 300);

        var deviation = ScalingModels.RelativeMaxDeviation(
            ScalingModels.Run(context.Graph, test, 64, [ScalingModels.MlpInputs]), ScalingModels.Run(ScalingModels.OutlierMlp(), test, 64, [ScalingModels.MlpInputs]));

        Assert.True(deviation <= 1e-5, $"float output changed by {deviation:E2} of its range");
        Assert.Equal(3, context.Notes.Count(n => n.StartsWith("smoothquant", StringComparison.Ordinal) && n.Contains("→", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("""{"smoothquant":{"alpha":1.5}}""", "MB2003")]
    [InlineData("""{"smoothquant":{"beta":1}}""", "MB2002")]
    [InlineData("""{"awq":{"weights":"fp16"}}""", "MB2003")]
    [InlineData("""{"awq":{"grid":0}}""", "MB2003")]
    [InlineData("""{"awq":{"dampening":0.1}}""", "MB2003")]
    public void Bad_settings_are_manifest_errors(string pass, string code)
    {
        var error = Assert.Throws<ModelBuildException>(() => CompressionManifest.Parse($$"""{"passes":[{{pass}}]}""", "test.compress.json"));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Awq_defaults_to_int4_per_group_128_as_in_the_paper()
    {
        var spec = CompressionManifest.Parse("""{"passes":[{"awq":{}}, {"smoothquant":{}}]}""", "test.compress.json").Passes;

        Assert.Equal("awq(grid=20)+quantize(int4,per-group=128,symmetric)", spec[0].Describe());
        Assert.Equal("smoothquant(alpha=0.5)", spec[1].Describe());
    }

    /// <summary>The outlier MLP's relative squared output error under simulated W8A8 after the passes, on held-out inputs.</summary>
    private static double W8A8Error(string passes, out List<string> notes)
    {
        var samples = ScalingModels.MlpSamples(Calibration, seed: 100);
        var context = ScalingModels.Context(ScalingModels.OutlierMlp(), samples, Calibration, [ScalingModels.MlpInputs]);
        Apply(context, passes);
        notes = context.Notes;
        var graph = MethodHarness.Decoded(context);
        FakeQuantizeLayerInputs(graph, context.Layers(), samples, Calibration);
        var test = ScalingModels.MlpSamples(HeldOut, seed: 200);
        var expected = ScalingModels.Run(ScalingModels.OutlierMlp(), test, HeldOut, [ScalingModels.MlpInputs]);
        return ScalingModels.RelativeSquaredError(ScalingModels.Run(graph, test, HeldOut, [ScalingModels.MlpInputs]), expected);
    }

    private static void Apply(CompressionContext context, string passes)
    {
        foreach (var spec in CompressionManifest.Parse($$"""{"passes":[{{passes}}]}""", "test.compress.json").Passes)
        {
            spec.CreatePass().Apply(context);
            ShapeInference.Run(context.Graph);
        }
    }

    /// <summary>Inserts QuantizeLinear → DequantizeLinear (int8, zero point 0, scale max|x|/127 on the calibration data) before each layer.</summary>
    private static void FakeQuantizeLayerInputs(ModelGraph graph, IReadOnlyList<LayerWeight> layers, float[] samples, int count)
    {
        var inputs = layers.Select(l => l.InputValue).ToList();
        var recorded = ActivationRecorder.Record(graph, inputs, samples, count);
        foreach (var layer in layers)
        {
            var x = layer.InputValue;
            var scale = recorded[x].Data.Max(v => Math.Abs(v)) / 127f;
            graph.SetInitializer(Tensor.FromFloats(x + "_a8_scale", [], [scale]));
            graph.SetInitializer(Tensor.FromInt8s(x + "_a8_zero", [], [0]));
            var at = graph.Nodes.IndexOf(layer.Node);
            graph.Nodes.Insert(at, new Node("DequantizeLinear", [x + "_a8_q", x + "_a8_scale", x + "_a8_zero"], [x + "_a8"], x + "_dq"));
            graph.Nodes.Insert(at, new Node("QuantizeLinear", [x, x + "_a8_scale", x + "_a8_zero"], [x + "_a8_q"], x + "_q"));
            layer.Node.Inputs[0] = x + "_a8";
        }

        ShapeInference.Run(graph);
    }
}
