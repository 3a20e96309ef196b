using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// A weight read by more than one node (bug case c18, and the same-orientation kind) through every pass: the build
/// (whose plan is verified against ONNX Runtime on the compressed model) must succeed, and the compressed model must
/// compute what the original does. The weights are chosen so that each pass is exact on them, so any difference is
/// a reader left behind by a pass, not compression error.
/// </summary>
public sealed class SharedWeightPassTests : IDisposable
{
    private const string Calibration = """ "calibration": { "format": "synthetic", "images": "uniform:-1,1;seed=3", "sampleShape": [6], "count": 16 }, """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mb-shared-" + Guid.NewGuid().ToString("N"));

    public SharedWeightPassTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string?> Manifests() =>
    [
        null,
        """{ "passes": [ { "quantize": { "weights": "int8" } } ] }""",
        """{ "passes": [ { "quantize": { "weights": "int4", "granularity": "per-group", "groupSize": 2 } } ] }""",
        """{ "passes": [ { "quantize": { "weights": "fp16" } } ] }""",
        """{ "passes": [ { "palettize": { "bits": 2 } } ] }""",
        """{ "passes": [ { "prune": { "sparsity": 0.5 } } ] }""",
        """{ "passes": [ { "prune-structured": { "fraction": 0.5 } } ] }""",
        """{ "passes": [ { "lowrank": { "rank": 1 } } ] }""",
        """{ "passes": [ { "entropy": {} } ] }""",
        "{" + Calibration + """ "passes": [ { "quantize": { "weights": "int4", "method": "gptq" } } ] }""",
        "{" + Calibration + """ "passes": [ { "prune": { "method": "sparsegpt", "sparsity": 0.5 } } ] }""",
        "{" + Calibration + """ "passes": [ { "prune-structured": { "fraction": 0.5, "reconstruct": true } } ] }""",
    ];

    [Theory]
    [MemberData(nameof(Manifests))]
    public void TiedWeightInTwoOrientations_EveryPass_ComputesWhatTheOriginalDoes(string? manifest)
    {
        // c18: MatMul(x, W) → Relu → Gemm(h, W, transB=1), one W[6,6].
        var model = Path.Combine(TestPaths.SharedDir, "bugcases", "c18_tied_weight.onnx");
        AssertSameAsOriginal(model, Compress(model, manifest));
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void TiedWeightInOneOrientation_EveryPass_ComputesWhatTheOriginalDoes(string? manifest)
    {
        // MatMul(x, W) → Relu → MatMul(h, W): both readers take W's columns as output channels, so W is a layer that
        // passes do compress, and a rewrite of one reader (factors, pruned channels) must not strand the other.
        var model = Path.Combine(_dir, "tied_same.onnx");
        File.WriteAllBytes(model, SameOrientationModel());
        AssertSameAsOriginal(model, Compress(model, manifest));
    }

    /// <summary>
    /// W = u·vᵀ with u, v in {−1, 0, 1}: rank 1 (lowrank exact), values −1/0/1 (int8, int4, fp16 and 2-bit palettes
    /// exact), 3 of 6 columns zero (structured pruning of half the channels exact) and 2/3 of entries zero (50 %
    /// magnitude pruning exact).
    /// </summary>
    private static byte[] SameOrientationModel()
    {
        float[] u = [1, -1, 1, 1, 0, 0];
        float[] v = [1, -1, 1, 0, 0, 0];
        var w = new float[36];
        for (var r = 0; r < 6; r++)
        {
            for (var c = 0; c < 6; c++)
            {
                w[(r * 6) + c] = u[r] * v[c];
            }
        }

        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Sym("N"), Dim.Of(6)])));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape([Dim.Sym("N"), Dim.Of(6)])));
        graph.SetInitializer(Graph.Tensor.FromFloats("W", [6, 6], w));
        graph.Nodes.Add(new Node("MatMul", ["x", "W"], ["m"], "first"));
        graph.Nodes.Add(new Node("Relu", ["m"], ["h"], "relu"));
        graph.Nodes.Add(new Node("MatMul", ["h", "W"], ["y"], "second"));
        return OnnxExporter.ToBytes(graph);
    }

    private string Compress(string model, string? manifestJson)
    {
        var manifest = "";
        if (manifestJson is not null)
        {
            manifest = Path.Combine(_dir, "m.compress.json");
            File.WriteAllText(manifest, manifestJson);
        }

        var output = Path.Combine(_dir, "out-" + Guid.NewGuid().ToString("N"));
        return CompressionPipeline.Run(new CompressionRequest(model, manifest, "TestModel", "Test", output, "Test.TestModel.weights.mbw"), TestServices.Default)
            .CompressedModelPath;
    }

    private static void AssertSameAsOriginal(string original, string compressed)
    {
        var input = Planning.PlanInterpreterTests.Random([3, 6], seed: 11);
        var expected = Run(original, input);
        var actual = Run(compressed, input);
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1f, expected.Max(MathF.Abs));
        for (var i = 0; i < expected.Length; i++)
        {
            // float32 reassociation only: the weights are exact under each pass (see SameOrientationModel; c18's W is
            // left exact because its readers disagree on the output axis).
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f * scale, $"element {i}: compressed {actual[i]}, original {expected[i]}");
        }
    }

    private static float[] Run(string model, float[] input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(input, [3, 6]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return [.. results.First().AsEnumerable<float>()];
    }
}
