using Xunit.Abstractions;
using ModelBuild.Compression.Export;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Export;

public sealed class QuantizedOnnxRewriterTests(ITestOutputHelper output)
{
    private const int Images = 500;

    // Same weights, same float32 DequantizeLinear/Cast·Mul arithmetic as our Dequantize(): only kernel
    // summation order may differ, which stays far below this on MNIST logits (|logit| < 50).
    private const float SameWeightsTolerance = 1e-5f;

    public static TheoryData<string, QuantGranularity, bool> RealModels => new()
    {
        { "mnist_cnn_fc128.onnx", QuantGranularity.PerChannel, true },
        { "mnist_cnn_fc128.onnx", QuantGranularity.PerChannel, false },
        { "mnist_cnn_fc128.onnx", QuantGranularity.PerTensor, true },
        { "mnist_mlp_256.onnx", QuantGranularity.PerChannel, true },
        { "mnist_mlp_256.onnx", QuantGranularity.PerTensor, false },
    };

    [Theory]
    [MemberData(nameof(RealModels))]
    public void Rewritten_real_model_runs_in_ort_like_the_dequantized_floats_and_agrees_with_the_original(string file, QuantGranularity granularity, bool symmetric)
    {
        var path = TestPaths.Model(file);
        var graph = OnnxImporter.Import(path);
        var opset = graph.DefaultOpset;
        var quantized = QuantizeMatrixWeights(graph, granularity, symmetric);
        Assert.NotEmpty(quantized);

        var reference = WithDequantizedFloats(OnnxImporter.Import(path), quantized);
        QuantizedOnnxRewriter.Apply(graph, quantized);
        var rewritten = OnnxExporter.ToBytes(graph);

        // opset 11/12: per-channel has no per-axis DequantizeLinear, so it must go through Cast → Sub → Mul.
        var expectDequantizeLinear = granularity == QuantGranularity.PerTensor;
        Assert.Equal(expectDequantizeLinear ? quantized.Count : 0, graph.Nodes.Count(n => n.OpType == "DequantizeLinear"));
        Assert.Equal(opset, graph.DefaultOpset);
        Assert.All(quantized, q => Assert.Equal(DataType.Int8, graph.GetInitializer(q.Name + "_quantized")!.DataType));
        Assert.All(quantized, q => Assert.Null(graph.GetInitializer(q.Name)));

        Func<byte, float> scale = file.StartsWith("mnist_cnn", StringComparison.Ordinal) ? b => ((b / 255f) - 0.5f) / 0.5f : b => b / 255f;
        var (images, labels) = Mnist.ReadTest(Images);
        var input = Mnist.Batch(images, scale);
        int[] dims = [Images, 1, 28, 28];
        var original = Ort.Run(File.ReadAllBytes(path), input, dims);
        var viaFloats = Ort.Run(reference, input, dims);
        var viaInt8 = Ort.Run(rewritten, input, dims);

        Assert.Equal(viaFloats.Length, viaInt8.Length);
        var maxDiff = viaFloats.Zip(viaInt8, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= SameWeightsTolerance, $"max |diff| vs dequantized floats = {maxDiff}");

        // Agreement and accuracy as a user would run the file: ORT with all its optimisations.
        viaInt8 = Ort.Run(rewritten, input, dims, exactArithmetic: false);
        var agreement = Ort.ArgMax(original, 10).Zip(Ort.ArgMax(viaInt8, 10)).Count(p => p.First == p.Second) / (double)Images;
        Assert.True(agreement >= 0.99, $"argmax agreement {agreement:P1}");
        var accuracy = Ort.ArgMax(viaInt8, 10).Zip(labels).Count(p => p.First == p.Second) / (double)Images;
        Assert.True(accuracy >= 0.95, $"accuracy {accuracy:P1}"); // both models score > 97 % on the full test set
        var worst = quantized.MinBy(q => q.SqnrDb)!;
        output.WriteLine($"{file} {granularity} sym={symmetric}: max|diff| {maxDiff:G3}, agreement {agreement:P1}, accuracy {accuracy:P1}, "
            + $"size {rewritten.Length}/{new FileInfo(path).Length}, worst SQNR {worst.SqnrDb:F1} dB ({worst.Name})");
    }

    [Fact]
    public void Rewritten_cnn_file_is_under_35_percent_of_the_original()
    {
        var path = TestPaths.Model("mnist_cnn_fc128.onnx");
        var graph = OnnxImporter.Import(path);
        QuantizedOnnxRewriter.Apply(graph, QuantizeMatrixWeights(graph, QuantGranularity.PerChannel, true));
        var size = OnnxExporter.ToBytes(graph).Length;
        var original = new FileInfo(path).Length;
        Assert.True(size < 0.35 * original, $"{size} bytes vs {original} ({(double)size / original:P1})");
    }

    [Theory]
    [InlineData(QuantGranularity.PerChannel, true)]
    [InlineData(QuantGranularity.PerChannel, false)]
    [InlineData(QuantGranularity.PerTensor, false)]
    public void Opset_13_uses_per_axis_DequantizeLinear_and_matches_the_dequantized_floats(QuantGranularity granularity, bool symmetric)
    {
        var graph = HandMade(13);
        var quantized = QuantizeMatrixWeights(graph, granularity, symmetric);
        Assert.Equal(["conv.w", "mm.w", "gemm.w"], quantized.Select(q => q.Name));
        Assert.Equal([0, 1, 0], quantized.Select(q => q.Axis));
        var reference = WithDequantizedFloats(HandMade(13), quantized);
        QuantizedOnnxRewriter.Apply(graph, quantized);

        var dq = graph.Nodes.Where(n => n.OpType == "DequantizeLinear").ToList();
        Assert.Equal(3, dq.Count);
        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "Cast" or "Mul");
        Assert.Equal(granularity == QuantGranularity.PerChannel ? [0L, 1L, 0L] : [-99L, -99L, -99L], dq.Select(n => n.GetInt("axis", -99)));
        Assert.Equal(symmetric ? 2 : 3, dq[1].Inputs.Count);
        Assert.True(graph.Nodes.IndexOf(dq[1]) < graph.Nodes.FindIndex(n => n.OpType == "MatMul"));

        var random = new Random(17);
        var input = Enumerable.Range(0, 3 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = Ort.Run(reference, input, [3, 1, 8, 8]);
        var actual = Ort.Run(OnnxExporter.ToBytes(graph), input, [3, 1, 8, 8]);
        Assert.Equal(15, actual.Length);
        var maxDiff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= SameWeightsTolerance, $"max |diff| = {maxDiff}");

        // Fully optimised ORT may requantise activations (see Ort.Run) but must stay close.
        var optimised = Ort.Run(OnnxExporter.ToBytes(graph), input, [3, 1, 8, 8], exactArithmetic: false);
        Assert.True(expected.Zip(optimised, (a, b) => Math.Abs(a - b)).Max() <= 0.05f);
    }

    [Fact]
    public void Rejects_a_weight_that_is_not_a_float_initializer()
    {
        var graph = HandMade(13);
        var q = LinearQuantizer.QuantizeInt8(Tensor.FromFloats("missing", [2, 2], new float[4]), 0, QuantGranularity.PerChannel, true);
        Assert.Throws<ArgumentException>(() => QuantizedOnnxRewriter.Apply(graph, [q]));
    }

    [Theory]
    [InlineData(9, QuantGranularity.PerChannel, false)]
    [InlineData(9, QuantGranularity.PerTensor, true)]
    [InlineData(12, QuantGranularity.PerChannel, false)]
    public void Before_opset_13_per_channel_and_before_10_everything_uses_cast_sub_mul(long opset, QuantGranularity granularity, bool symmetric)
    {
        var graph = HandMade(opset);
        var quantized = QuantizeMatrixWeights(graph, granularity, symmetric);
        var reference = WithDequantizedFloats(HandMade(opset), quantized);
        QuantizedOnnxRewriter.Apply(graph, quantized);

        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "DequantizeLinear");
        Assert.Equal(symmetric ? 3 : 6, graph.Nodes.Count(n => n.OpType == "Cast"));
        Assert.Equal(symmetric ? 0 : 3, graph.Nodes.Count(n => n.OpType == "Sub"));
        var mul = graph.Nodes.Single(n => n.OpType == "Mul" && n.Outputs[0] == "conv.w");
        Assert.Equal(granularity == QuantGranularity.PerChannel ? [4L, 1, 1, 1] : [], graph.GetInitializer(mul.Inputs[1])!.Dims);
        Assert.Equal(granularity == QuantGranularity.PerChannel ? [1L, 10] : [], graph.GetInitializer("mm.w_scale")!.Dims);
        var names = graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Nodes.Select(n => n.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());

        var random = new Random(18);
        var input = Enumerable.Range(0, 2 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = Ort.Run(reference, input, [2, 1, 8, 8]);
        var actual = Ort.Run(OnnxExporter.ToBytes(graph), input, [2, 1, 8, 8], exactArithmetic: false);
        Assert.True(expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max() <= SameWeightsTolerance);
    }

    /// <summary>Conv weights along axis 0; Gemm along 0 when transB=1, else 1; MatMul along 1. Only ≥2-D float initializers.</summary>
    internal static List<QuantizedTensor> QuantizeMatrixWeights(ModelGraph graph, QuantGranularity granularity, bool symmetric)
    {
        var result = new List<QuantizedTensor>();
        foreach (var node in graph.Nodes)
        {
            int? axis = node.OpType switch
            {
                "Conv" => 0,
                "Gemm" => node.GetInt("transB", 0) == 1 ? 0 : 1,
                "MatMul" => 1,
                _ => null,
            };
            if (axis is { } a && graph.GetInitializer(node.Inputs[1]) is { DataType: DataType.Float, Dims.Length: >= 2 } w && result.TrueForAll(q => q.Name != w.Name))
            {
                result.Add(LinearQuantizer.QuantizeInt8(w, a, granularity, symmetric));
            }
        }

        return result;
    }

    private static byte[] WithDequantizedFloats(ModelGraph graph, IEnumerable<QuantizedTensor> quantized)
    {
        foreach (var q in quantized)
        {
            graph.SetInitializer(Tensor.FromFloats(q.Name, q.Dims.Select(d => (long)d).ToArray(), q.Dequantize()));
        }

        return OnnxExporter.ToBytes(graph);
    }

    /// <summary>x[N,1,8,8] → Conv 4×1×3×3 → Relu → Flatten → MatMul [144,10] → Gemm(transB=1) [5,10] → y[N,5].</summary>
    private static ModelGraph HandMade(long opset)
    {
        var random = new Random(123);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.4f).ToArray();
        var g = new ModelGraph { Name = "hand", IrVersion = opset >= 10 ? 7 : 4 };
        g.Opsets.Add(new OpsetImport("", opset));
        g.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(Dim.Sym("N"), 1, 8, 8)));
        g.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(Dim.Sym("N"), 5)));
        g.SetInitializer(Tensor.FromFloats("conv.w", [4, 1, 3, 3], R(36)));
        g.SetInitializer(Tensor.FromFloats("conv.b", [4], R(4)));
        g.SetInitializer(Tensor.FromFloats("mm.w", [144, 10], R(1440)));
        g.SetInitializer(Tensor.FromFloats("gemm.w", [5, 10], R(50)));
        g.SetInitializer(Tensor.FromFloats("gemm.b", [5], R(5)));
        g.Nodes.Add(new Node("Conv", ["x", "conv.w", "conv.b"], ["c"], "conv"));
        g.Nodes.Add(new Node("Relu", ["c"], ["r"], "relu"));
        g.Nodes.Add(new Node("Flatten", ["r"], ["f"], "flatten"));
        g.Nodes.Add(new Node("MatMul", ["f", "mm.w"], ["m"], "matmul"));
        var gemm = new Node("Gemm", ["m", "gemm.w", "gemm.b"], ["y"], "gemm");
        gemm.Attributes.Add(NodeAttribute.Of("transB", 1L));
        g.Nodes.Add(gemm);
        return g;
    }
}
