using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.ActivationScaling;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;

namespace ModelBuild.Compression.Tests.Methods.ActivationScaling;

/// <summary>
/// Folding correctness of AWQ's and SmoothQuant's shared step: every layer's weight columns × s and its input ÷ s
/// (folded into the producer, or a Mul) must leave the graph's float output unchanged. Reference: ONNX Runtime on the
/// unmodified graph; tolerance 1e-5 of the output's largest magnitude (each weight is rounded to float32 once after a
/// float64 product, ≈ 6e-8 relative, summed over ≤ 72 terms per output; the brief's bound).
/// </summary>
public sealed class InputDivisionTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void Conv_chain_folds_through_pooling_Relu_and_BatchNorm_and_keeps_a_Mul_at_the_input_and_after_Flatten()
    {
        var notes = ScaleEveryLayer(ConvGraph, [3, 8, 8], seed: 1);

        Assert.StartsWith("1/s kept as Mul", notes["A.weight"], StringComparison.Ordinal); // the graph input
        Assert.Equal("1/s folded into Conv 'A' through MaxPool, Relu", notes["B.weight"]);
        Assert.Equal("1/s folded into BatchNormalization 'bn' through Relu", notes["C.weight"]);
        Assert.StartsWith("1/s kept as Mul", notes["D.weight"], StringComparison.Ordinal); // a Flatten between Conv and Gemm
    }

    [Fact]
    public void Dense_chain_folds_into_LayerNorm_Gemm_and_MatMul_with_its_bias_Add()
    {
        var notes = ScaleEveryLayer(DenseGraph, [16], seed: 2);

        Assert.StartsWith("1/s kept as Mul", notes["E.weight"], StringComparison.Ordinal);
        Assert.Equal("1/s folded into LayerNormalization 'ln'", notes["F.weight"]);
        Assert.Equal("1/s folded into Gemm 'F' through Relu", notes["G.weight"]); // F's C is a scalar: it becomes per output
        Assert.Equal("1/s folded into MatMul 'G' through Relu, Add", notes["H.weight"]);
    }

    [Fact]
    public void A_value_read_by_two_layers_is_not_folded_into_its_producer()
    {
        var notes = ScaleEveryLayer(SharedInputGraph, [16], seed: 3);

        Assert.StartsWith("1/s kept as Mul", notes["Q.weight"], StringComparison.Ordinal);
        Assert.StartsWith("1/s kept as Mul", notes["R.weight"], StringComparison.Ordinal);
    }

    /// <summary>Applies random s ∈ [0.05, 20] (log-uniform) to every layer and compares with ONNX Runtime on the original.</summary>
    private static Dictionary<string, string> ScaleEveryLayer(Func<ModelGraph> build, int[] sampleShape, int seed)
    {
        var random = new Random(seed);
        var count = 8;
        var samples = ScalingModels.Uniform(random, count * sampleShape.Aggregate(1, (a, d) => a * d));
        var expected = ScalingModels.Run(build(), samples, count, sampleShape);
        var graph = build();
        var context = new CompressionContext(graph, "synthetic.onnx", "test.compress.json", null, null);
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in context.Layers())
        {
            var channels = layer.IsConv ? (int)graph.GetInitializer(layer.Name)!.Dims[1] : layer.Cols;
            var s = Enumerable.Range(0, channels).Select(_ => Math.Exp((random.NextDouble() * 6) - 3)).ToArray();
            notes[layer.Name] = InputDivision.ScaleLayer(context, layer, s, "test");
        }

        var actual = ScalingModels.Run(graph, samples, count, sampleShape);
        var deviation = ScalingModels.RelativeMaxDeviation(actual, expected);
        Assert.True(deviation <= Tolerance, $"output changed by {deviation:E2} of its range; notes: {string.Join("; ", notes.Values)}");
        return notes;
    }

    private static ModelGraph ConvGraph()
    {
        var random = new Random(5);
        var graph = ScalingModels.Graph("conv_fold", TensorShape.Of(Dim.Sym("N"), 3, 8, 8), TensorShape.Of(Dim.Sym("N"), 5));
        void Init(string name, long[] dims, float scale = 1) =>
            graph.SetInitializer(Tensor.FromFloats(name, dims, ScalingModels.Uniform(random, (int)dims.Aggregate(1L, (a, d) => a * d), scale)));
        Node Conv(string name, string input, string output, long kernel, bool bias)
        {
            var node = new Node("Conv", bias ? [input, name + ".weight", name + ".bias"] : [input, name + ".weight"], [output], name);
            node.SetAttribute(NodeAttribute.Of("kernel_shape", new[] { kernel, kernel }));
            node.SetAttribute(NodeAttribute.Of("pads", kernel == 3 ? new long[] { 1, 1, 1, 1 } : [0, 0, 0, 0]));
            graph.Nodes.Add(node);
            return node;
        }

        Init("A.weight", [8, 3, 3, 3]);
        Init("A.bias", [8]);
        Init("B.weight", [6, 8, 3, 3]);
        Init("C.weight", [4, 6, 1, 1]);
        Init("C.bias", [4]);
        Init("D.weight", [5, 64]);
        Init("D.bias", [5]);
        Init("bn.scale", [6]);
        Init("bn.bias", [6]);
        Init("bn.mean", [6], 0.1f);
        graph.SetInitializer(Tensor.FromFloats("bn.var", [6], [1f, 0.5f, 2f, 1.5f, 0.8f, 1.2f]));
        Conv("A", "X", "a", 3, bias: true);
        graph.Nodes.Add(new Node("Relu", ["a"], ["ra"], "relu_a"));
        graph.Nodes.Add(new Node("MaxPool", ["ra"], ["pa"], "pool")
        {
            Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 2, 2 }), NodeAttribute.Of("strides", new long[] { 2, 2 }) },
        });
        Conv("B", "pa", "b", 3, bias: false);
        graph.Nodes.Add(new Node("BatchNormalization", ["b", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["nb"], "bn"));
        graph.Nodes.Add(new Node("Relu", ["nb"], ["rb"], "relu_b"));
        Conv("C", "rb", "c", 1, bias: true);
        graph.Nodes.Add(new Node("Flatten", ["c"], ["f"], "flatten"));
        graph.Nodes.Add(new Node("Gemm", ["f", "D.weight", "D.bias"], ["Y"], "D") { Attributes = { NodeAttribute.Of("transB", 1L) } });
        ShapeInference.Run(graph);
        return graph;
    }

    private static ModelGraph DenseGraph()
    {
        var random = new Random(6);
        var graph = ScalingModels.Graph("dense_fold", TensorShape.Of(Dim.Sym("N"), 16), TensorShape.Of(Dim.Sym("N"), 8));
        void Init(string name, long[] dims) =>
            graph.SetInitializer(Tensor.FromFloats(name, dims, ScalingModels.Uniform(random, (int)dims.Aggregate(1L, (a, d) => a * d))));
        Init("E.weight", [32, 16]);
        Init("E.bias", [32]);
        Init("ln.scale", [32]);
        Init("ln.bias", [32]);
        Init("F.weight", [24, 32]);
        Init("F.bias", [1]);
        Init("G.weight", [24, 20]);
        Init("G.bias", [20]);
        Init("H.weight", [20, 8]);
        Init("H.bias", [8]);
        graph.Nodes.Add(new Node("Gemm", ["X", "E.weight", "E.bias"], ["e"], "E") { Attributes = { NodeAttribute.Of("transB", 1L) } });
        graph.Nodes.Add(new Node("LayerNormalization", ["e", "ln.scale", "ln.bias"], ["n"], "ln"));
        graph.Nodes.Add(new Node("Gemm", ["n", "F.weight", "F.bias"], ["f"], "F") { Attributes = { NodeAttribute.Of("transB", 1L) } });
        graph.Nodes.Add(new Node("Relu", ["f"], ["rf"], "relu_f"));
        graph.Nodes.Add(new Node("MatMul", ["rf", "G.weight"], ["g"], "G"));
        graph.Nodes.Add(new Node("Add", ["g", "G.bias"], ["gb"], "bias_g"));
        graph.Nodes.Add(new Node("Relu", ["gb"], ["rg"], "relu_g"));
        graph.Nodes.Add(new Node("Gemm", ["rg", "H.weight", "H.bias"], ["Y"], "H"));
        ShapeInference.Run(graph);
        return graph;
    }

    private static ModelGraph SharedInputGraph()
    {
        var random = new Random(7);
        var graph = ScalingModels.Graph("shared_input", TensorShape.Of(Dim.Sym("N"), 16), TensorShape.Of(Dim.Sym("N"), 6));
        ScalingModels.AddGemm(graph, random, "P", "X", "p", 12, 16, _ => 1);
        graph.Nodes.Add(new Node("Relu", ["p"], ["rp"], "relu_p"));
        ScalingModels.AddGemm(graph, random, "Q", "rp", "q", 6, 12, _ => 1);
        ScalingModels.AddGemm(graph, random, "R", "rp", "r", 6, 12, _ => 1);
        graph.Nodes.Add(new Node("Add", ["q", "r"], ["Y"], "sum"));
        ShapeInference.Run(graph);
        return graph;
    }
}
