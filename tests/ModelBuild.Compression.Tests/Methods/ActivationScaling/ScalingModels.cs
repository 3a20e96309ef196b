using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Methods.ActivationScaling;

/// <summary>
/// Small synthetic graphs for the activation-scaling passes, each with a seeded RNG, and how to run them in ONNX
/// Runtime. The outlier MLP mimics what both papers target: a few input channels of a layer carry activations tens of
/// times larger than the rest (AWQ §3.1: salient channels; SmoothQuant §3: outlier channels).
/// </summary>
internal static class ScalingModels
{
    /// <summary>Width of the outlier MLP's input.</summary>
    public const int MlpInputs = 32;

    /// <summary>
    /// X [N, 32] → Gemm A (32→128) → Relu → Gemm B (128→128) → Relu → Gemm C (128→16) → Y. A's output channels 0, 5, 17
    /// and 60 (its rows scaled ×40) are activation outliers for B; B's channels 3 and 90 (×25) for C; input features 2
    /// and 9 are ×20 (outliers for A, whose input is the graph input: no producer to fold into).
    /// </summary>
    public static ModelGraph OutlierMlp()
    {
        var random = new Random(11);
        var graph = Graph("outlier_mlp", TensorShape.Of(Dim.Sym("N"), MlpInputs), TensorShape.Of(Dim.Sym("N"), 16));
        AddGemm(graph, random, "A", "X", "a", 128, MlpInputs, r => r is 0 or 5 or 17 or 60 ? 40 : 1);
        graph.Nodes.Add(new Node("Relu", ["a"], ["ra"], "relu_a"));
        AddGemm(graph, random, "B", "ra", "b", 128, 128, r => r is 3 or 90 ? 25 : 1);
        graph.Nodes.Add(new Node("Relu", ["b"], ["rb"], "relu_b"));
        AddGemm(graph, random, "C", "rb", "Y", 16, 128, _ => 1);
        ShapeInference.Run(graph);
        return graph;
    }

    /// <summary>
    /// Inputs for the outlier MLP: features uniform in ±√3 (unit variance), features 2 and 9 ×20. Bounded, so that 256
    /// calibration samples see the range held-out samples have (static activation scales then do not clip them).
    /// </summary>
    public static float[] MlpSamples(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * MlpInputs)
            .Select(i => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(3) * (i % MlpInputs is 2 or 9 ? 20 : 1))).ToArray();
    }

    /// <summary>A context on <paramref name="graph"/> with <paramref name="count"/> calibration samples of one input row each.</summary>
    public static CompressionContext Context(ModelGraph graph, float[] samples, int count, int[] sampleShape) =>
        new(graph, "synthetic.onnx", "test.compress.json", new CalibrationSet(samples, count, sampleShape, null), null, TestServices.Default);

    /// <summary>The graph's output in ONNX Runtime for a batch of <paramref name="count"/> samples.</summary>
    public static float[] Run(ModelGraph graph, float[] samples, int count, int[] sampleShape) =>
        Ort.Run(OnnxExporter.ToBytes(graph), samples, [count, .. sampleShape]);

    /// <summary>max |a − b| / max |b|: the relative deviation of an output from a reference.</summary>
    public static double RelativeMaxDeviation(float[] actual, float[] reference)
    {
        Assert.Equal(reference.Length, actual.Length);
        var scale = reference.Max(v => Math.Abs((double)v));
        return actual.Zip(reference).Max(p => Math.Abs((double)p.First - p.Second)) / scale;
    }

    /// <summary>‖a − b‖² / ‖b‖² in float64.</summary>
    public static double RelativeSquaredError(float[] actual, float[] reference)
    {
        double error = 0, signal = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var d = (double)actual[i] - reference[i];
            error += d * d;
            signal += (double)reference[i] * reference[i];
        }

        return error / signal;
    }

    internal static ModelGraph Graph(string name, TensorShape input, TensorShape output)
    {
        var graph = new ModelGraph { Name = name, IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 17));
        graph.Inputs.Add(new ValueInfo("X", DataType.Float, input));
        graph.Outputs.Add(new ValueInfo("Y", DataType.Float, output));
        return graph;
    }

    /// <summary>A Gemm (transB = 1) with uniform weights in ±1/√cols, row r scaled by <paramref name="rowScale"/>(r), and a bias.</summary>
    internal static void AddGemm(ModelGraph graph, Random random, string name, string input, string output, int rows, int cols, Func<int, float> rowScale)
    {
        var bound = 1 / MathF.Sqrt(cols);
        graph.SetInitializer(Tensor.FromFloats(name + ".weight", [rows, cols],
            Enumerable.Range(0, rows * cols).Select(i => (((float)random.NextDouble() * 2) - 1) * bound * rowScale(i / cols)).ToArray()));
        graph.SetInitializer(Tensor.FromFloats(name + ".bias", [rows], Enumerable.Range(0, rows).Select(_ => ((float)random.NextDouble() - 0.5f) * 0.2f).ToArray()));
        graph.Nodes.Add(new Node("Gemm", [input, name + ".weight", name + ".bias"], [output], name) { Attributes = { NodeAttribute.Of("transB", 1L) } });
    }

    internal static float[] Uniform(Random random, int count, float scale = 1) =>
        Enumerable.Range(0, count).Select(_ => (((float)random.NextDouble() * 2) - 1) * scale).ToArray();
}
