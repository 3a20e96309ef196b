using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// The plan a model lowers to, executed by the runtime's operators, against ONNX Runtime on the original model
/// (the independent reference), at several input shapes.
/// </summary>
public sealed class PlanInterpreterTests
{
    /// <summary>Float32 kernels reorder sums (SIMD, blocking); relative to the output's scale this bounds the drift.</summary>
    private const float Tolerance = 1e-4f;

    [Theory]
    [InlineData("mnist-8.onnx", new[] { 1, 1, 28, 28 })]
    [InlineData("mnist_mlp_256.onnx", new[] { 5, 1, 28, 28 })]
    [InlineData("mnist_cnn_fc128.onnx", new[] { 3, 1, 28, 28 })]
    [InlineData("squeezenet_cifar10.onnx", new[] { 2, 32, 32, 3 })]
    public void Shared_models_match_onnx_runtime(string file, int[] shape)
    {
        var path = TestPaths.Model(file);
        var input = Random(shape, seed: 1);
        var (actual, actualShape) = Run(path, input, shape);
        var expected = Ort.Run(File.ReadAllBytes(path), input, shape);
        AssertClose(expected, actual);
        Assert.Equal(expected.Length, actualShape.Aggregate(1, (a, d) => a * d));
    }

    [Theory]
    [InlineData("c18_tied_weight.onnx", new[] { 3, 6 })] // one W read by MatMul(x, W) and Gemm(h, W, transB=1)
    [InlineData("c33_gemm_bias_per_row.onnx", new[] { 4, 6 })] // C of shape [M, 1]: one bias per row
    [InlineData("c05_matmul_1d.onnx", new[] { 8 })] // a 1-D activation into MatMul
    public void Bug_report_models_match_onnx_runtime(string file, int[] shape)
    {
        var path = Path.Combine(TestPaths.SharedDir, "bugcases", file);
        var input = Random(shape, seed: 3);
        var (actual, _) = Run(path, input, shape);
        AssertClose(Ort.Run(File.ReadAllBytes(path), input, shape), actual);
    }

    [RealModelFact]
    public void Text_direction_classifier_runs_as_shipped_at_three_sizes()
    {
        // PP-OCR's classifier has symbolic N, H and W and all weights as Constant nodes; PaddleOCR feeds 48×192 crops.
        var path = RealModels.Path("ppocr_cls");
        var (text, blob) = ExactPlanner.Build(path);
        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var context = new OpContext(program);
        foreach (int[] shape in new[] { new[] { 1, 3, 48, 192 }, [2, 3, 48, 320], [1, 3, 48, 100] })
        {
            var input = Random(shape, seed: shape[3]);
            context.SetInput<float>(program.Inputs[0], input, shape);
            program.Run(context);
            var actual = context.Floats(program.Outputs[0]).ToArray();
            var expected = Ort.Run(File.ReadAllBytes(path), input, shape);
            AssertClose(expected, actual);
            Assert.Equal([shape[0], 2], context.Shape(program.Outputs[0]).ToArray());
        }
    }

    [RealModelFact]
    public void Text_detector_runs_as_shipped_at_several_sizes()
    {
        // PP-OCR's DB detector: symbolic H and W (multiples of 32), Resize ×6 and ConvTranspose ×2 whose output sizes
        // follow the input's; one context is reused across sizes, so every op recomputes its shapes per call.
        var path = RealModels.Path("ppocr_det");
        var (text, blob) = ExactPlanner.Build(path);
        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var context = new OpContext(program);
        foreach (int[] shape in new[] { new[] { 1, 3, 64, 96 }, [2, 3, 32, 160], [1, 3, 96, 64] })
        {
            var input = Random(shape, seed: shape[2]);
            context.SetInput<float>(program.Inputs[0], input, shape);
            program.Run(context);
            AssertClose(Ort.Run(File.ReadAllBytes(path), input, shape), context.Floats(program.Outputs[0]).ToArray());
            Assert.Equal([shape[0], 1, shape[2], shape[3]], context.Shape(program.Outputs[0]).ToArray());
        }
    }

    [RealModelFact]
    public void Pinned_input_dims_narrow_the_shape_and_contradictions_are_MB3002()
    {
        var path = RealModels.Path("ppocr_cls");
        var pins = InputPinning.Parse("x=?,3,48,192", path);
        var graph = ExactPlanner.Prepare(path, pins);
        Assert.Equal("[p2o.DynamicDimension.0,3,48,192]", graph.Inputs[0].Shape!.ToString());

        var wrongRank = Assert.Throws<ModelBuildException>(() => ExactPlanner.Prepare(path, InputPinning.Parse("x=1,3,48", path)));
        Assert.Equal("MB3002", wrongRank.Code);
        var unknown = Assert.Throws<ModelBuildException>(() => ExactPlanner.Prepare(path, InputPinning.Parse("image=1,3,48,192", path)));
        Assert.Contains("inputs: x", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("MB2003", Assert.Throws<ModelBuildException>(() => InputPinning.Parse("x=1,3,48px", path)).Code);
    }

    [Fact]
    public void Plan_text_round_trips_through_the_interpreter_unchanged()
    {
        var (text, blob) = ExactPlanner.Build(TestPaths.Model("squeezenet_cifar10.onnx"));
        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var rewritten = string.Join("\n", program.Ops.Select(OpCodec.Write));
        var original = string.Join("\n", text.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)));
        Assert.Equal(original, rewritten);
    }

    internal static (float[] Output, int[] Shape) Run(string modelPath, float[] input, int[] shape)
    {
        var (text, blob) = ExactPlanner.Build(modelPath);
        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], input, shape);
        program.Run(context);
        return (context.Floats(program.Outputs[0]).ToArray(), context.Shape(program.Outputs[0]).ToArray());
    }

    internal static float[] Random(int[] shape, int seed)
    {
        var rng = new Random(seed);
        var values = new float[shape.Aggregate(1, (a, d) => a * d)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1f, expected.Max(MathF.Abs));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance * scale, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
