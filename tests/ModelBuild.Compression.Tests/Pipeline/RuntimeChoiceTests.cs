using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Tests.Pipeline;

/// <summary>
/// The OnnxModel item's <c>Runtime</c> through the pipeline: which runtime a model gets, what the fallback plan and
/// blob hold (the compressed weights, the graph without them), and MB3003 only where it is asked for.
/// </summary>
public sealed class RuntimeChoiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-runtime-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CompressionResult Compress(string model, ModelRuntime runtime, bool generate = true, string manifest = "") =>
        CompressionPipeline.Run(new CompressionRequest(model, manifest, "TestModel", "Test", Path.Combine(_dir, runtime + "-" + generate), "Test.TestModel.weights.mbw")
        {
            Runtime = runtime,
            Generate = generate,
        }, TestServices.Default);

    /// <summary>x [1, 3, 4, 4] → LpPool 2×2 → GlobalLpPool → [1, 3, 1, 1]: two operators the generated code lacks.</summary>
    private string Uncovered()
    {
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(1, 3, 4, 4)));
        graph.Nodes.Add(new Node("LpPool", ["x"], ["y"], "my_lppool") { Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 2, 2 }) } });
        graph.Nodes.Add(new Node("GlobalLpPool", ["y"], ["values"], "my_globallppool"));
        graph.Outputs.Add(new ValueInfo("values", DataType.Float, TensorShape.Of(1, 3, 1, 1)));
        var path = Path.Combine(_dir, "odd.onnx");
        OnnxExporter.WriteFile(graph, path);
        return path;
    }

    [Fact]
    public void Auto_CoveredModel_IsGeneratedCode()
    {
        var result = Compress(TestPaths.Model("mnist_mlp_256.onnx"), ModelRuntime.Auto);

        Assert.Equal("generated", result.Runtime);
        Assert.Equal("generated\n", File.ReadAllText(Path.ChangeExtension(result.PlanPath, ".runtime")));
        Assert.DoesNotContain("op OnnxRuntime", File.ReadAllText(result.PlanPath));
    }

    [Fact]
    public void Auto_UncoveredModel_FallsBack_AndTheSummaryNamesTheNodes()
    {
        var result = Compress(Uncovered(), ModelRuntime.Auto);

        Assert.Equal("onnxruntime", result.Runtime);
        Assert.Contains("runtime: ONNX Runtime (needs the ModelBuild.OnnxRuntime package), because the generated code does not cover 2 node(s): LpPool 'my_lppool'", result.Summary);
        Assert.Contains("GlobalLpPool 'my_globallppool'", result.Summary);
        var plan = File.ReadAllText(result.PlanPath);
        Assert.Contains("op OnnxRuntime node=\"2 ONNX node(s) in ONNX Runtime\" Inputs=[0] Outputs=[1] Graph=0 Weights=[] Transposed=[]", plan);
        Assert.Contains("input 0 name=\"x\" value=0 type=float32 shape=\"1,3,4,4\"", plan);
    }

    [Fact]
    public void Generated_UncoveredModel_IsMB3003_ListingTheNodes_AndSayingHowToFallBack()
    {
        var e = Assert.Throws<ModelBuildException>(() => Compress(Uncovered(), ModelRuntime.Generated));

        Assert.Equal("MB3003", e.Code);
        Assert.Contains("LpPool 'my_lppool'", e.Message);
        Assert.Contains("Runtime=\"Auto\"", e.Message);
        Assert.Contains("ModelBuild.OnnxRuntime", e.Message);
    }

    [Fact]
    public void GenerateFalse_UncoveredModel_IsNoError_EvenWithRuntimeGenerated()
    {
        var result = Compress(Uncovered(), ModelRuntime.Generated, generate: false);

        Assert.True(File.Exists(result.WeightsPath));
    }

    [Fact]
    public void OnnxRuntime_KeepsTheInt8WeightsInTheBlob_AndTheGraphWithoutThem()
    {
        var model = TestPaths.Model("mnist_mlp_256.onnx");
        var result = Compress(model, ModelRuntime.OnnxRuntime);

        Assert.Equal("onnxruntime", result.Runtime);
        var blob = WeightBlob.Load(File.ReadAllBytes(result.WeightsPath));
        var graphEntry = blob.Count - 1;
        Assert.Equal(10, blob.StoredFormat(graphEntry));
        var names = Enumerable.Range(0, graphEntry).Select(blob.Name).ToList();
        var int8 = Enumerable.Range(0, graphEntry).Where(i => blob.StoredFormat(i) == 2).ToList();
        Assert.Equal(3, int8.Count); // the three layer weights, quantised by the default manifest as for generated code

        // The graph (simplified as for generated code: fewer nodes) holds no copy of the weights the blob holds; the
        // embedded size is the int8 size.
        var graph = ModelProto.Parser.ParseFrom(blob.Bytes(graphEntry).ToArray());
        Assert.Empty(graph.Graph.Initializer.Select(t => t.Name).Intersect(names));
        var original = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        Assert.InRange(graph.Graph.Node.Count, 3, original.Graph.Node.Count);
        Assert.True(result.EmbeddedBytes < new FileInfo(model).Length / 3, $"{result.EmbeddedBytes} bytes embedded");

        // Each entry keeps the dims ONNX Runtime needs, once transposed back where the plan says so.
        var list = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(result.PlanPath), @"Transposed=\[([0-9,]*)\]").Groups[1].Value;
        var transposed = list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        foreach (var i in int8)
        {
            var onnxDims = original.Graph.Initializer.Single(t => t.Name == blob.Name(i)).Dims.Select(d => (int)d).ToArray();
            Assert.Equal(onnxDims, transposed.Contains(i) ? [.. blob.Dims(i).Reverse()] : blob.Dims(i));
        }
    }
}
