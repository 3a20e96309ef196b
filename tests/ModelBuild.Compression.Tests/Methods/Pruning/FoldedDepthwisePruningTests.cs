using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.Pruning;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>
/// Issue 13, pruning on BatchNorm-folded depthwise networks: PP-OCR's text-direction classifier (MobileNetV3-small
/// style: 35 BatchNorms, depthwise convs, hard swish as HardSigmoid·x) at 50 % unstructured sparsity must agree with
/// the original model (argmax, ONNX Runtime) at least as often as global L1 magnitude pruning of the *unfolded*
/// weights (PyTorch's <c>global_unstructured</c> with <c>L1Unstructured</c>, computed here independently), and
/// <c>prune-structured</c> must remove channels from it. Inputs: real text lines rendered with the system's fonts (<see cref="TextLineRenderer"/>), half turned by
/// 180°; the original reads the direction of all of them, so agreement measures what pruning keeps.
/// </summary>
public sealed class FoldedDepthwisePruningTests(ITestOutputHelper output)
{
    private const int Images = 64;
    private static readonly int[] Shape = [Images, 3, 48, 192];

    [RealModelTextFact]
    public void The_original_reads_the_direction_of_the_rendered_lines()
    {
        var lines = TextLines(Images);
        if (Environment.GetEnvironmentVariable("MODELBUILD_DUMP_LINES") is { } dump)
        {
            File.WriteAllBytes(dump, lines.Take(3 * 48 * 192 * 8).Select(v => (byte)Math.Clamp((v * 127.5f) + 127.5f, 0, 255)).ToArray());
        }

        var probabilities = Ort.Run(File.ReadAllBytes(RealModels.Path("ppocr_cls")), lines, Shape);
        var predicted = Ort.ArgMax(probabilities, 2);
        var correct = predicted.Select((p, n) => p == n % 2).Count(c => c) / (double)Images;
        output.WriteLine($"ppocr_cls reads the direction of {correct:P1} of {Images} rendered lines (0° = class 0, 180° = class 1)");
        Assert.True(correct >= 0.9, $"{correct:P1}");
    }

    [RealModelTextFact]
    public void Half_sparsity_keeps_the_agreement_of_global_l1_on_the_unfolded_weights()
    {
        var path = RealModels.Path("ppocr_cls");
        var input = TextLines(Images);
        var reference = Ort.ArgMax(Ort.Run(File.ReadAllBytes(path), input, Shape), 2);

        var baseline = Agreement(reference, Ort.Run(UnfoldedGlobalL1(path, 0.5), input, Shape));
        var graph = ExactPlanner.Prepare(path, InputPinning.Parse("x=?,3,48,192", path));
        Apply(graph, path, """{ "prune": { "sparsity": 0.5 } }""");
        var ours = Agreement(reference, Ort.Run(OnnxExporter.ToBytes(graph), input, Shape));

        output.WriteLine($"ppocr_cls, 50 % unstructured, agreement with the original on {Images} rendered lines: ours {ours:P1}, unfolded global L1 {baseline:P1}");
        Assert.True(ours >= baseline - 0.02, $"ours {ours:P1} vs unfolded global L1 {baseline:P1}");
    }

    [RealModelTextFact]
    public void Structured_pruning_removes_channels_and_the_model_still_runs()
    {
        var path = RealModels.Path("ppocr_cls");
        var graph = ExactPlanner.Prepare(path, InputPinning.Parse("x=?,3,48,192", path));
        var before = new CompressionContext(graph, path, "t.json", null, null).Layers().ToDictionary(l => l.Name, l => l.Rows);
        var context = Apply(graph, path, """{ "prune-structured": { "fraction": 0.25 } }""");

        var shrunk = context.Layers().Where(l => before.TryGetValue(l.Name, out var rows) && l.Rows < rows).Select(l => l.Name).ToList();
        var input = TextLines(Images);
        var reference = Ort.ArgMax(Ort.Run(File.ReadAllBytes(path), input, Shape), 2);
        var logits = Ort.Run(OnnxExporter.ToBytes(graph), input, Shape);
        output.WriteLine($"prune-structured 25 %: {shrunk.Count} of {before.Count} layers lost channels; agreement {Agreement(reference, logits):P1}; {context.Notes[^1]}");
        Assert.NotEmpty(shrunk);
        Assert.Equal(Images * 2, logits.Length);
        Assert.Empty(context.Warnings);
    }

    internal static CompressionContext Apply(ModelGraph graph, string path, string pass)
    {
        var context = new CompressionContext(graph, path, "t.json", null, null);
        CompressionManifest.Parse($$"""{ "passes": [ {{pass}} ] }""", "t.json").Passes.Single().CreatePass().Apply(context);
        return context;
    }

    internal static double Agreement(int[] reference, float[] logits) =>
        Ort.ArgMax(logits, 2).Zip(reference).Count(p => p.First == p.Second) / (double)reference.Length;

    /// <summary>The original file with the smallest |w| over all Conv/Gemm/MatMul weights (as shipped, BN unfolded) zeroed.</summary>
    internal static byte[] UnfoldedGlobalL1(string path, double sparsity)
    {
        var graph = OnnxImporter.Import(path);
        var weights = new List<(Node? Constant, Tensor Tensor)>();
        foreach (var node in graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul"))
        {
            var name = node.Inputs[1];
            if (weights.Exists(w => w.Tensor.Name == name || w.Constant?.Outputs[0] == name))
            {
                continue;
            }

            if (graph.GetInitializer(name) is { } t)
            {
                weights.Add((null, t));
            }
            else if (graph.Producer(name) is { OpType: "Constant" } c && c.Attribute("value")?.Tensor is { } ct)
            {
                weights.Add((c, ct));
            }
        }

        var values = weights.Select(w => w.Tensor.ToFloats()).ToList();
        var threshold = values.SelectMany(v => v).Select(Math.Abs).Order().ElementAt((int)Math.Round(sparsity * values.Sum(v => v.Length)) - 1);
        for (var i = 0; i < weights.Count; i++)
        {
            var pruned = values[i].Select(v => Math.Abs(v) <= threshold ? 0f : v).ToArray();
            var tensor = Tensor.FromFloats(weights[i].Tensor.Name, weights[i].Tensor.Dims, pruned);
            if (weights[i].Constant is { } constant)
            {
                constant.SetAttribute(NodeAttribute.Of("value", tensor));
            }
            else
            {
                graph.SetInitializer(tensor);
            }
        }

        return OnnxExporter.ToBytes(graph);
    }

    internal static float[] TextLines(int count) => TextLineRenderer.Render(count);
}
