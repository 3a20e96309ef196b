using ModelBuild.Compression.Pipeline;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using static ModelBuild.Generator.Tests.Models.OnnxGraph;

namespace ModelBuild.Generator.Tests.Models;

/// <summary>
/// The test models: small ONNX graphs exported with the project's writer, planned by <see cref="ExactPlanner"/>
/// (float32, no passes) exactly as the build plans a real model. Every case is built once per test run.
/// </summary>
internal static class TestModels
{
    private static readonly Dim N = Dim.Sym("N");

    private static readonly Lazy<Dictionary<string, TestModel>> s_all = new(() => new Dictionary<string, TestModel>(StringComparer.Ordinal)
    {
        ["Mlp"] = Plan("MlpModel", "Tests.Models", Mlp()),
        ["Conv"] = Plan("ConvModel", "Tests.Models", Conv()),
        ["Layout"] = Plan("LayoutModel", "", Layout()),
        ["Fixed"] = Plan("FixedModel", "Tests.Models", Fixed()),
        ["Dynamic"] = Plan("DynamicModel", "Tests.Models", Dynamic()),
        ["TwoInTwoOut"] = Plan("PairModel", "Tests.Models", Pair()),
        ["MlpInt8"] = Compress("MlpInt8Model", "Tests.Models", Mlp()),
        ["MlpInt8Act"] = Compress("MlpInt8ActModel", "Tests.Models", Mlp(), """{ "passes": [ { "quantize-activations": { "mode": "dynamic" } } ] }"""),
    });

    public static IReadOnlyList<string> Names { get; } = ["Conv", "Dynamic", "Fixed", "Layout", "Mlp", "MlpInt8", "MlpInt8Act", "TwoInTwoOut"];

    public static TestModel Get(string name) => s_all.Value[name];

    /// <summary>Gemm (transB) relu → MatMul + Add → Softmax; input <c>input</c> [N, 4].</summary>
    private static ModelGraph Mlp() => new OnnxGraph(1)
        .Input("input", N, 4).Weight("fc1.weight", 8, 4).Weight("fc1.bias", 8).Weight("fc2.weight", 8, 3).Weight("fc2.bias", 3)
        .Node("Gemm", ["input", "fc1.weight", "fc1.bias"], "h", A("transB", 1L))
        .Node("Relu", ["h"], "r")
        .Node("MatMul", ["r", "fc2.weight"], "m")
        .Node("Add", ["m", "fc2.bias"], "logits")
        .Node("Softmax", ["logits"], "probabilities", A("axis", -1L))
        .Output("probabilities").Graph;

    /// <summary>Conv 3x3 pad 1 → Relu → MaxPool 2x2/2 → Flatten → Gemm without bias; input [N, 1, 6, 6].</summary>
    private static ModelGraph Conv() => new OnnxGraph(2)
        .Input("image", N, 1, 6, 6).Weight("conv.weight", 2, 1, 3, 3).Weight("conv.bias", 2).Weight("fc.weight", 4, 18)
        .Node("Conv", ["image", "conv.weight", "conv.bias"], "c", A("kernel_shape", 3L, 3L), A("pads", 1L, 1L, 1L, 1L))
        .Node("Relu", ["c"], "r")
        .Node("MaxPool", ["r"], "p", A("kernel_shape", 2L, 2L), A("strides", 2L, 2L))
        .Node("Flatten", ["p"], "f")
        .Node("Gemm", ["f", "fc.weight"], "logits", A("transB", 1L))
        .Output("logits").Graph;

    /// <summary>
    /// Data movement: Add with a constant right operand, Transpose moving the batch axis, Mul with a constant left
    /// operand, Transpose back, Sub broadcasting a constant, Concat, and Reshape to [-1, N] computed by
    /// Shape → Gather → Concat with a constant (the batch is not in place, so the planner cannot fold it to [0, -1]),
    /// then Transpose to [N, 12]; input <c>x</c> [N, 2, 3].
    /// </summary>
    private static ModelGraph Layout() => new OnnxGraph(3)
        .Input("x", N, 2, 3).Weight("bias", 1, 3).Weight("scale", 3, 1, 1).Weight("offset", 2).Ints("first", 0).Ints("rest", -1)
        .Node("Add", ["x", "bias"], "a")
        .Node("Transpose", ["a"], "t", A("perm", 2L, 0L, 1L))
        .Node("Mul", ["scale", "t"], "m")
        .Node("Transpose", ["m"], "u", A("perm", 1L, 0L, 2L))
        .Node("Sub", ["offset", "u"], "s")
        .Node("Concat", ["u", "s"], "cat", A("axis", 2L))
        .Node("Shape", ["cat"], "shape")
        .Node("Gather", ["shape", "first"], "batch", A("axis", 0L))
        .Node("Concat", ["rest", "batch"], "target", A("axis", 0L))
        .Node("Reshape", ["cat", "target"], "folded")
        .Node("Transpose", ["folded"], "flat", A("perm", 1L, 0L))
        .Node("Sigmoid", ["flat"], "y")
        .Output("y").Graph;

    /// <summary>Fixed batch 2: BatchNormalization → AveragePool (pads, count_include_pad 0) → GlobalAveragePool → Flatten → Gemm → Clip(max 0.75) → Identity.</summary>
    private static ModelGraph Fixed() => new OnnxGraph(4)
        .Input("x", 2, 2, 3, 3).Weight("bn.scale", 2).Weight("bn.bias", 2).Weight("bn.mean", 2)
        .Floats("bn.var", [2], 0.5f, 2f).Weight("fc.weight", 3, 2).Weight("fc.bias", 3).Floats("max", [], 0.75f)
        .Node("BatchNormalization", ["x", "bn.scale", "bn.bias", "bn.mean", "bn.var"], "bn")
        .Node("AveragePool", ["bn"], "pool", A("kernel_shape", 2L, 2L), A("pads", 1L, 1L, 0L, 0L), A("count_include_pad", 0L))
        .Node("GlobalAveragePool", ["pool"], "gap")
        .Node("Flatten", ["gap"], "flat")
        .Node("Gemm", ["flat", "fc.weight", "fc.bias"], "fc", A("transB", 1L))
        .Node("Clip", ["fc", "", "max"], "clip")
        .Node("Identity", ["clip"], "y")
        .Output("y").Graph;

    /// <summary>Symbolic N, H and W: Conv 3x3 pad 1 → Relu → MaxPool 2x2/2 → Conv 1x1 → Sigmoid; [N, 3, H, W] → [N, 2, H/2, W/2].</summary>
    private static ModelGraph Dynamic() => new OnnxGraph(5)
        .Input("pixels", N, 3, Dim.Sym("H"), Dim.Sym("W")).Weight("c1.weight", 4, 3, 3, 3).Weight("c1.bias", 4)
        .Weight("c2.weight", 2, 4, 1, 1).Weight("c2.bias", 2)
        .Node("Conv", ["pixels", "c1.weight", "c1.bias"], "c1", A("kernel_shape", 3L, 3L), A("pads", 1L, 1L, 1L, 1L))
        .Node("Relu", ["c1"], "r")
        .Node("MaxPool", ["r"], "p", A("kernel_shape", 2L, 2L), A("strides", 2L, 2L))
        .Node("Conv", ["p", "c2.weight", "c2.bias"], "c2", A("kernel_shape", 1L, 1L))
        .Node("Sigmoid", ["c2"], "mask")
        .Output("mask").Graph;

    /// <summary>Two inputs with awkward names, concatenated → Gemm relu → MatMul (logits) → Softmax (class).</summary>
    private static ModelGraph Pair() => new OnnxGraph(6)
        .Input("image.features", N, 3).Input("meta::data", N, 2).Weight("fc1.weight", 2, 5).Weight("fc2.weight", 2, 2)
        .Node("Concat", ["image.features", "meta::data"], "joined", A("axis", 1L))
        .Node("Gemm", ["joined", "fc1.weight"], "h", A("transB", 1L))
        .Node("Relu", ["h"], "r")
        .Node("MatMul", ["r", "fc2.weight"], "logits")
        .Node("Softmax", ["logits"], "class", A("axis", 1L))
        .Output("logits").Output("class").Graph;

    private static TestModel Plan(string className, string ns, ModelGraph graph)
    {
        var (path, onnx) = Write(className, graph);
        var (text, blob) = ExactPlanner.Build(path, className);
        File.Delete(path);

        // ExactPlanner plans into the global namespace; the build passes the item's Namespace the same way.
        text = text.Replace("\nnamespace\n", ns.Length == 0 ? "\nnamespace\n" : "\nnamespace " + ns + "\n", StringComparison.Ordinal);
        return new TestModel(className, ns.Length == 0 ? className : ns + "." + className, onnx, text, blob);
    }

    /// <summary>
    /// The build's own pipeline with the default manifest (int8 weights, per output channel, symmetric). The reference
    /// model is the pipeline's compressed ONNX (DequantizeLinear on the same int8 values), which computes what the
    /// predictor computes, so the comparison with ONNX Runtime keeps its float32 tolerance.
    /// </summary>
    /// <summary>Through the build's pipeline; <paramref name="manifest"/> is the manifest's JSON (null: the default int8).</summary>
    private static TestModel Compress(string className, string ns, ModelGraph graph, string? manifest = null)
    {
        var (path, _) = Write(className, graph);
        var output = Path.Combine(Path.GetDirectoryName(path)!, className);
        var manifestPath = manifest is null ? "" : Path.Combine(Path.GetDirectoryName(path)!, className + ".compress.json");
        if (manifest is not null)
        {
            File.WriteAllText(manifestPath, manifest);
        }

        var result = CompressionPipeline.Run(new CompressionRequest(path, manifestPath, className, ns, output, className + ".weights.mbw"), ModelBuild.Evaluation.Services.EvaluationServices.Create());
        var model = new TestModel(className, ns + "." + className, File.ReadAllBytes(result.CompressedModelPath),
            File.ReadAllText(result.PlanPath), File.ReadAllBytes(result.WeightsPath));
        Directory.Delete(output, recursive: true);
        return model;
    }

    private static (string Path, byte[] Onnx) Write(string className, ModelGraph graph)
    {
        var onnx = OnnxExporter.ToBytes(graph);
        var dir = Path.Combine(Path.GetTempPath(), "modelbuild-generator-tests-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, char.ToLowerInvariant(className[0]) + className[1..^5] + ".onnx");
        File.WriteAllBytes(path, onnx);
        return (path, onnx);
    }
}

/// <summary>One planned test model: its ONNX bytes (the reference's input), plan text and weights blob.</summary>
internal sealed record TestModel(string ClassName, string FullName, byte[] Onnx, string Plan, byte[] Blob);
