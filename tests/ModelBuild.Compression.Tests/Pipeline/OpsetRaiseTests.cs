using System.Text.RegularExpressions;
using ModelBuild.Compression.Passes.Activations;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// 8-bit activations on models older than opset 11 (<see cref="OpsetRaise"/>): an opset-9 CNN is raised to 11 and then
/// computes ConvInteger/MatMulInteger that ONNX Runtime runs on the compressed .onnx and the plan matches; an operator
/// whose meaning changed between the two opsets keeps the model's opset (and float activations) and the report says
/// which node and why; mnist-8 (opset 8) passes the accuracy gate on t10k.
/// </summary>
public sealed class OpsetRaiseTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-opset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Opset9Cnn_IsRaisedTo11_AndRunsInt8Activations_MatchingOnnxRuntime()
    {
        var result = Run(Opset9Cnn(clip: false), "cnn9");

        var plan = File.ReadAllText(result.PlanPath);
        log.WriteLine(plan);
        Assert.Equal(2, Regex.Matches(plan, "^op QuantizedConv ", RegexOptions.Multiline).Count);
        Assert.Single(Regex.Matches(plan, "^op QuantizedDense ", RegexOptions.Multiline));
        Assert.DoesNotContain("op Conv ", plan, StringComparison.Ordinal);

        var graph = OnnxImporter.Import(result.CompressedModelPath);
        Assert.Equal(11, graph.DefaultOpset);
        Assert.True(graph.IrVersion >= 6, $"IR version {graph.IrVersion}");
        Assert.Equal(2, graph.Nodes.Count(n => n.OpType == "ConvInteger"));
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "DynamicQuantizeLinear"));

        var report = File.ReadAllText(result.ReportPath);
        Assert.Contains("opset raised from 9 to 11", report, StringComparison.Ordinal);
        var difference = PlanCheckText.MaxRelativeDifference(report);
        log.WriteLine($"plan vs ONNX Runtime on the raised .onnx: max relative difference {difference:G3}");
        Assert.True(difference < 1e-5, $"max relative difference {difference}");
    }

    [Fact]
    public void Opset9ClipWithAttributes_BlocksTheRaise_AndSaysWhich()
    {
        var result = Run(Opset9Cnn(clip: true), "clip9");

        var plan = File.ReadAllText(result.PlanPath);
        Assert.DoesNotContain("op Quantized", plan, StringComparison.Ordinal);
        Assert.Equal(9, OnnxImporter.Import(result.CompressedModelPath).DefaultOpset);
        var report = File.ReadAllText(result.ReportPath);
        log.WriteLine(report);
        Assert.Contains("opset 9 kept, so float activations everywhere: it cannot be raised to 11 for DynamicQuantizeLinear: Clip (min/max moved from attributes to inputs in opset 11): 'clip'",
            report, StringComparison.Ordinal);
        Assert.Contains("the model's opset is 9 (DynamicQuantizeLinear needs 11)", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9, "Slice", "Slice")] // attributes until opset 10
    [InlineData(10, "Slice", null)] // an opset-10 Slice already has inputs
    [InlineData(9, "Upsample", "Upsample")]
    [InlineData(10, "Resize", "Resize")]
    [InlineData(8, "BatchNormalization spatial=0", "spatial = 0")]
    [InlineData(8, "BatchNormalization spatial=1", null)]
    [InlineData(9, "BatchNormalization spatial=0", null)] // opset 9 has no spatial: nothing to check
    [InlineData(9, "Dropout mask used", "mask")]
    [InlineData(9, "Dropout", null)]
    [InlineData(6, "Relu", "older than 7")]
    public void Refusal_NamesTheOperatorWhoseMeaningChanged(long opset, string op, string? expected)
    {
        var graph = new ModelGraph { IrVersion = 4 };
        graph.Opsets.Add(new OpsetImport("", opset));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(1, 4, 8, 8)));
        var node = op switch
        {
            "Slice" when opset < 10 => new Node("Slice", ["x"], ["y"], "n") { Attributes = { NodeAttribute.Of("starts", new long[] { 0 }), NodeAttribute.Of("ends", new long[] { 2 }) } },
            "Slice" => new Node("Slice", ["x", "s", "e"], ["y"], "n"),
            "BatchNormalization spatial=0" => new Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], "n") { Attributes = { NodeAttribute.Of("spatial", 0L) } },
            "BatchNormalization spatial=1" => new Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], "n") { Attributes = { NodeAttribute.Of("spatial", 1L) } },
            "Dropout mask used" => new Node("Dropout", ["x"], ["y", "mask"], "n"),
            _ => new Node(op, ["x"], ["y"], "n"),
        };
        graph.Nodes.Add(node);
        if (op == "Dropout mask used")
        {
            graph.Outputs.Add(new ValueInfo("mask", DataType.Float, TensorShape.Of(1, 4, 8, 8)));
        }

        var reason = OpsetRaise.Refusal(graph);
        if (expected is null)
        {
            Assert.Null(reason);
            Assert.Equal(opset, OpsetRaise.Apply(graph));
            Assert.Equal(11, graph.DefaultOpset);
            if (opset < 9)
            {
                Assert.Null(node.Attribute("spatial")); // spatial = 1 is opset 9's only behaviour: the attribute is dropped
            }
        }
        else
        {
            Assert.NotNull(reason);
            Assert.Contains(expected, reason, StringComparison.Ordinal);
            Assert.EndsWith(opset < 7 ? "starts at" : "'n'", reason, StringComparison.Ordinal);
            Assert.Null(OpsetRaise.Apply(graph));
            Assert.Equal(opset, graph.DefaultOpset);
        }
    }

    /// <summary>mnist-8 (opset 8, the Model Zoo's CNTK export): every Conv and the MatMul on 8-bit activations, top-1 on 2,000 t10k images within 1 pp.</summary>
    [Fact]
    public void Mnist8_Opset8_TakesInt8Activations_AndPassesTheAccuracyGate()
    {
        var images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz").Replace("\\", "/");
        var labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz").Replace("\\", "/");
        var result = Run(TestPaths.Model("mnist-8.onnx"), $$"""
            {
              "passes": [ { "quantize-activations": { "mode": "dynamic" } } ],
              "validation": { "images": "{{images}}", "labels": "{{labels}}", "preprocessing": "unit", "count": 2000, "metric": "top1" },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);
        log.WriteLine(result.Summary);
        var plan = File.ReadAllText(result.PlanPath);
        Assert.Equal(2, Regex.Matches(plan, "^op QuantizedConv ", RegexOptions.Multiline).Count);
        Assert.Single(Regex.Matches(plan, "^op QuantizedDense ", RegexOptions.Multiline));
        var report = File.ReadAllText(result.ReportPath);
        Assert.Contains("opset raised from 8 to 11", report, StringComparison.Ordinal);
        Assert.True(PlanCheckText.MaxRelativeDifference(report) < 1e-5, report);
        Assert.Matches(@"top-1 9\d\.\d\d % -> 9\d\.\d\d % \(tolerance a drop of at most 1 pp\) ok", result.Summary);
    }

    private CompressionResult Run(ModelGraph graph, string name)
    {
        var model = Path.Combine(_dir, name + ".onnx");
        OnnxExporter.WriteFile(graph, model);
        return Run(model, """{ "passes": [ { "quantize-activations": { "mode": "dynamic" } } ] }""");
    }

    private CompressionResult Run(string model, string manifestText)
    {
        var output = Path.Combine(_dir, "out-" + Path.GetFileNameWithoutExtension(model));
        Directory.CreateDirectory(output);
        var manifest = Path.Combine(_dir, Path.GetFileNameWithoutExtension(model) + ".json");
        File.WriteAllText(manifest, manifestText);
        return CompressionPipeline.Run(new CompressionRequest(model, manifest, "Opset", "", output, "r"), TestServices.Default);
    }

    /// <summary>
    /// An opset-9 CNN of operators that opset 11 leaves unchanged or that the raise rewrites: Conv, BatchNormalization,
    /// Relu, MaxPool, Conv, Flatten, Gemm, Dropout (mask unused), Softmax; with <paramref name="clip"/>, a Clip with
    /// opset-9 min/max attributes after the first conv, which blocks the raise.
    /// </summary>
    private static ModelGraph Opset9Cnn(bool clip)
    {
        var graph = new ModelGraph { IrVersion = 4 };
        graph.Opsets.Add(new OpsetImport("", 9));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(Dim.Sym("N"), 3, 10, 10)));
        var rng = new Random(11);
        AddConv(graph, rng, "x", "c1", "conv1", oc: 8, c: 3, pads: [1, 1, 1, 1]);
        graph.SetInitializer(Floats("bn_s", [8], rng, 0.5, 1.5));
        graph.SetInitializer(Floats("bn_b", [8], rng, -0.5, 0.5));
        graph.SetInitializer(Floats("bn_m", [8], rng, -0.5, 0.5));
        graph.SetInitializer(Floats("bn_v", [8], rng, 0.5, 2));
        graph.Nodes.Add(new Node("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["b1"], "bn"));
        var act = clip ? "clip" : "relu";
        graph.Nodes.Add(clip
            ? new Node("Clip", ["b1"], ["r1"], "clip") { Attributes = { NodeAttribute.Of("min", 0f), NodeAttribute.Of("max", 6f) } }
            : new Node("Relu", ["b1"], ["r1"], act));
        graph.Nodes.Add(new Node("MaxPool", ["r1"], ["p1"], "pool") { Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 2, 2 }), NodeAttribute.Of("strides", new long[] { 2, 2 }) } });
        AddConv(graph, rng, "p1", "c2", "conv2", oc: 16, c: 8, pads: [1, 1, 1, 1]);
        graph.Nodes.Add(new Node("Relu", ["c2"], ["r2"], "relu2"));
        graph.Nodes.Add(new Node("Flatten", ["r2"], ["f"], "flatten"));
        graph.SetInitializer(Floats("fc", [16 * 5 * 5, 10], rng, -0.1, 0.1));
        graph.SetInitializer(Floats("fc_b", [10], rng, -0.5, 0.5));
        graph.Nodes.Add(new Node("Gemm", ["f", "fc", "fc_b"], ["g"], "gemm"));
        graph.Nodes.Add(new Node("Dropout", ["g"], ["d"], "dropout"));
        graph.Nodes.Add(new Node("Softmax", ["d"], ["y"], "softmax"));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(Dim.Sym("N"), 10)));
        return graph;
    }

    private static void AddConv(ModelGraph graph, Random rng, string x, string y, string name, int oc, int c, long[] pads)
    {
        var bound = Math.Sqrt(3.0 / (c * 9));
        graph.SetInitializer(Floats(name, [oc, c, 3, 3], rng, -bound, bound));
        graph.SetInitializer(Floats(name + "_b", [oc], rng, -0.5, 0.5));
        graph.Nodes.Add(new Node("Conv", [x, name, name + "_b"], [y], name)
        {
            Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 3, 3 }), NodeAttribute.Of("pads", pads) },
        });
    }

    private static Tensor Floats(string name, long[] dims, Random rng, double low, double high) =>
        Tensor.FromFloats(name, dims, Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(low + (rng.NextDouble() * (high - low)))).ToArray());
}
