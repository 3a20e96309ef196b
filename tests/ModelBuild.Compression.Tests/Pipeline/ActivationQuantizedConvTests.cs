using System.Globalization;
using System.Text.RegularExpressions;
using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// The <c>quantize-activations</c> pass on Conv layers through the whole pipeline: the plan runs QuantizedConvOp, the
/// compressed .onnx holds the same integer maths as ConvInteger, and the build's own plan check runs both (the
/// generated code's plan vs ONNX Runtime on that .onnx); depthwise convs keep float activations and say why. Then
/// mnist_cnn_fc128 end to end with the accuracy gate on t10k.
/// </summary>
public sealed partial class ActivationQuantizedConvTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-int8conv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Pads, an asymmetric pad with stride and dilation, a grouped 1×1 conv, a residual Add + Relu, a depthwise
    /// conv (kept float) and a 1-D conv: ONNX Runtime's ConvInteger on the exported graph agrees with the plan.
    /// </summary>
    [Theory]
    [InlineData("dynamic", "DynamicQuantizeLinear")]
    [InlineData("static", "QuantizeLinear")]
    public void SmallCnn_RunsInt8Conv_MatchingOnnxRuntimeOnConvInteger(string mode, string quantizeOp)
    {
        var model = Path.Combine(_dir, "cnn.onnx");
        OnnxExporter.WriteFile(SmallCnn(), model);
        var result = Run(model, $$"""
            {
              "calibration": { "format": "synthetic", "images": "uniform:-1,2;seed=5", "sampleShape": [3, 12, 10], "count": 8 },
              "passes": [ { "quantize-activations": { "mode": "{{mode}}" } } ]
            }
            """);

        var plan = File.ReadAllText(result.PlanPath);
        log.WriteLine(plan);
        var ops = QuantizedConvOps().Matches(plan);
        Assert.Equal(6, ops.Count); // all but the depthwise conv
        Assert.Single(Regex.Matches(plan, "^op Conv .*Group=12", RegexOptions.Multiline));
        foreach (Match op in ops)
        {
            var scale = float.Parse(op.Groups["scale"].Value, CultureInfo.InvariantCulture);
            Assert.True(mode == "dynamic" ? scale == 0 : scale > 0, op.Value);
        }

        var graph = OnnxImporter.Import(result.CompressedModelPath);
        Assert.Equal(6, graph.Nodes.Count(n => n.OpType == "ConvInteger"));
        Assert.Equal(6, graph.Nodes.Count(n => n.OpType == quantizeOp));
        Assert.Single(graph.Nodes, n => n.OpType == "Conv");

        var report = File.ReadAllText(result.ReportPath);
        Assert.Contains("'dw': float activations kept, a grouped Conv", report, StringComparison.Ordinal);
        var difference = PlanCheckText.MaxRelativeDifference(report);
        log.WriteLine($"plan vs ONNX Runtime: max relative difference {difference:G3}");
        Assert.True(difference < 1e-5, $"max relative difference {difference}");
    }

    [Fact]
    public void Conv1D_RunsInt8Conv_MatchingOnnxRuntime()
    {
        var graph = NewGraph("x", [3, 40], out var rng);
        AddConv(graph, rng, "x", "a", "c1", oc: 8, c: 3, kernel: [5], pads: [2, 2]);
        graph.Nodes.Add(new Node("Relu", ["a"], ["y"], "relu"));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(Dim.Sym("N"), 8, 40)));
        var model = Path.Combine(_dir, "c1d.onnx");
        OnnxExporter.WriteFile(graph, model);
        var result = Run(model, """{ "passes": [ { "quantize-activations": { "mode": "dynamic" } } ] }""");

        Assert.Single(QuantizedConvOps().Matches(File.ReadAllText(result.PlanPath)));
        var report = File.ReadAllText(result.ReportPath);
        Assert.True(PlanCheckText.MaxRelativeDifference(report) < 1e-5, report);
    }

    /// <summary>mnist_cnn_fc128: every Conv and Gemm on 8-bit activations, top-1 on 2,000 t10k images within 1 pp.</summary>
    [Fact]
    public void MnistCnn_Int8Activations_PassTheAccuracyGate()
    {
        var images = Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte.gz").Replace("\\", "/");
        var labels = Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte.gz").Replace("\\", "/");
        var result = Run(TestPaths.Model("mnist_cnn_fc128.onnx"), $$"""
            {
              "passes": [ { "quantize-activations": { "mode": "dynamic" } } ],
              "validation": { "images": "{{images}}", "labels": "{{labels}}", "preprocessing": "unit", "count": 2000, "metric": "top1" },
              "tolerance": { "maxAccuracyDrop": 0.01 }
            }
            """);
        log.WriteLine(result.Summary);
        var plan = File.ReadAllText(result.PlanPath);
        Assert.DoesNotContain("op Conv ", plan, StringComparison.Ordinal);
        Assert.NotEmpty(QuantizedConvOps().Matches(plan));
        var report = File.ReadAllText(result.ReportPath);
        Assert.True(PlanCheckText.MaxRelativeDifference(report) < 1e-5, report);
        Assert.Matches(@"top-1 9\d\.\d\d % -> 9\d\.\d\d % \(tolerance a drop of at most 1 pp\) ok", result.Summary);
    }

    private CompressionResult Run(string model, string manifestText)
    {
        var output = Path.Combine(_dir, "out-" + Path.GetFileNameWithoutExtension(model));
        Directory.CreateDirectory(output);
        var manifest = Path.Combine(_dir, Path.GetFileNameWithoutExtension(model) + ".json");
        File.WriteAllText(manifest, manifestText);
        return CompressionPipeline.Run(new CompressionRequest(model, manifest, "Cnn", "", output, "r"), TestServices.Default);
    }

    private static ModelGraph SmallCnn()
    {
        var graph = NewGraph("x", [3, 12, 10], out var rng);
        AddConv(graph, rng, "x", "a0", "c1", oc: 8, c: 3, kernel: [3, 3], pads: [1, 1, 1, 1]);
        graph.Nodes.Add(new Node("Relu", ["a0"], ["a"], "relu1"));
        AddConv(graph, rng, "a", "b", "c2", oc: 12, c: 8, kernel: [3, 3], pads: [1, 0, 0, 1], strides: [2, 1], dilations: [1, 2]);
        AddConv(graph, rng, "b", "g", "c3", oc: 16, c: 6, kernel: [1, 1], group: 2);
        AddConv(graph, rng, "g", "h", "c6", oc: 16, c: 16, kernel: [1, 1]);
        AddConv(graph, rng, "g", "d", "c4", oc: 16, c: 16, kernel: [3, 3], pads: [1, 1, 1, 1]);
        graph.Nodes.Add(new Node("Add", ["d", "h"], ["s"], "add"));
        graph.Nodes.Add(new Node("Relu", ["s"], ["r"], "relu2"));
        AddConv(graph, rng, "r", "e", "c5", oc: 12, c: 16, kernel: [1, 1]);
        AddConv(graph, rng, "e", "y", "dw", oc: 12, c: 1, kernel: [3, 3], pads: [1, 1, 1, 1], group: 12);
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(Dim.Sym("N"), 12, 6, 7)));
        return graph;
    }

    private static ModelGraph NewGraph(string input, int[] sample, out Random rng)
    {
        var graph = new ModelGraph { IrVersion = 7 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo(input, DataType.Float, TensorShape.Of([Dim.Sym("N"), .. sample.Select(d => Dim.Of(d))])));
        rng = new Random(7);
        return graph;
    }

    private static void AddConv(ModelGraph graph, Random rng, string x, string y, string name, int oc, int c, long[] kernel, long[]? pads = null,
        long[]? strides = null, long[]? dilations = null, int group = 1)
    {
        long[] dims = [oc, c, .. kernel];
        int count = (int)dims.Aggregate(1L, (a, b) => a * b);
        var bound = (float)Math.Sqrt(3.0 / (count / oc));
        graph.SetInitializer(Tensor.FromFloats(name, dims, Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2) - 1) * bound).ToArray()));
        graph.SetInitializer(Tensor.FromFloats(name + "_b", [oc], Enumerable.Range(0, oc).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()));
        var node = new Node("Conv", [x, name, name + "_b"], [y], name);
        node.Attributes.Add(NodeAttribute.Of("kernel_shape", kernel));
        if (pads is not null)
        {
            node.Attributes.Add(NodeAttribute.Of("pads", pads));
        }

        if (strides is not null)
        {
            node.Attributes.Add(NodeAttribute.Of("strides", strides));
        }

        if (dilations is not null)
        {
            node.Attributes.Add(NodeAttribute.Of("dilations", dilations));
        }

        if (group != 1)
        {
            node.Attributes.Add(NodeAttribute.Of("group", (long)group));
        }

        graph.Nodes.Add(node);
    }

    [GeneratedRegex(@"op QuantizedConv .*InputScale=(?<scale>\S+) InputZeroPoint=(?<zp>\d+)")]
    private static partial Regex QuantizedConvOps();
}
