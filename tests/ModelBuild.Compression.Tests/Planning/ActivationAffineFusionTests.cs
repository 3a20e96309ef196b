using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// A scalar Mul and Add after an activation (PP-LCNetV3's learnable affine block, as paddle2onnx exports it) join the
/// activation's op as Scale and Shift, and the plan still matches ONNX Runtime on the unfused model; a per-channel
/// operand, an operand of higher rank, or an intermediate that escapes leaves the nodes as they were.
/// </summary>
public sealed class ActivationAffineFusionTests : IDisposable
{
    private static readonly int[] Shape = [2, 3, 5, 7];
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-affinefusion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("decomposed", false)] // opset 11 hard swish chain (Add, Clip, Mul, Div), then Mul(a, ·), Add(·, b)
    [InlineData("HardSwish", false)]
    [InlineData("HardSwish", true)]   // operands the other way round: Mul(·, a), Add(b, ·)
    [InlineData("Sigmoid", false)]
    public void Activation_and_affine_are_one_op_matching_onnx_runtime(string activation, bool swapped)
    {
        var path = Save(Graph(activation, swapped, scaleDims: [1], escape: false), "fused.onnx");
        var (text, _) = ExactPlanner.Build(path);
        var ops = Ops(text);
        Assert.Single(ops);
        Assert.Contains("Scale=0.75", ops[0], StringComparison.Ordinal);
        Assert.Contains("Shift=-0.25", ops[0], StringComparison.Ordinal);

        var input = Input();
        var (actual, shape) = PlanInterpreterTests.Run(path, input, Shape);
        Assert.Equal(Shape, shape);
        PlanInterpreterTests.AssertClose(Ort.Run(File.ReadAllBytes(path), input, Shape), actual);
    }

    [Theory]
    [InlineData(new long[] { 1, 3, 1, 1 }, false)]    // per-channel scale: not a scalar
    [InlineData(new long[] { 1, 1, 1, 1, 1 }, false)] // one element of rank 5: broadcasting raises the rank
    [InlineData(new long[] { 1 }, true)]              // the product escapes as a graph output
    public void Other_tails_stay_node_by_node_and_still_match(long[] scaleDims, bool escape)
    {
        var path = Save(Graph("HardSwish", false, scaleDims, escape), "other.onnx");
        var (text, _) = ExactPlanner.Build(path);
        Assert.DoesNotContain("Scale=", text, StringComparison.Ordinal);
        Assert.True(Ops(text).Count >= 3);

        var input = Input();
        var (actual, _) = PlanInterpreterTests.Run(path, input, Shape);
        PlanInterpreterTests.AssertClose(Ort.Run(File.ReadAllBytes(path), input, Shape), actual);
    }

    private static List<string> Ops(string plan) => plan.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).ToList();

    private static float[] Input() => PlanInterpreterTests.Random(Shape, seed: 5).Select(v => v * 5).ToArray();

    private static ModelGraph Graph(string activation, bool swapped, long[] scaleDims, bool escape)
    {
        var graph = new ModelGraph { IrVersion = 7 };
        graph.Opsets.Add(new OpsetImport("", activation == "decomposed" ? 11 : 14));
        var dims = new TensorShape(Shape.Select(d => Dim.Of(d)));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, dims));
        long count = scaleDims.Aggregate(1L, (a, d) => a * d);
        graph.SetInitializer(Tensor.FromFloats("a", scaleDims, [.. Enumerable.Repeat(0.75f, (int)count)]));
        graph.SetInitializer(Tensor.FromFloats("b", [], [-0.25f]));
        if (activation == "decomposed")
        {
            graph.SetInitializer(Tensor.FromFloats("three", [1], [3f]));
            graph.SetInitializer(Tensor.FromFloats("zero", [], [0f]));
            graph.SetInitializer(Tensor.FromFloats("six", [], [6f]));
            graph.Nodes.Add(new Node("Add", ["x", "three"], ["t"], "add3"));
            graph.Nodes.Add(new Node("Clip", ["t", "zero", "six"], ["c"], "clip"));
            graph.Nodes.Add(new Node("Mul", ["x", "c"], ["m"], "mul"));
            graph.Nodes.Add(new Node("Div", ["m", "six"], ["h"], "div6"));
        }
        else
        {
            graph.Nodes.Add(new Node(activation, ["x"], ["h"], "act"));
        }

        graph.Nodes.Add(new Node("Mul", swapped ? ["h", "a"] : ["a", "h"], ["s"], "scale"));
        graph.Nodes.Add(new Node("Add", swapped ? ["b", "s"] : ["s", "b"], ["y"], "shift"));
        var outDims = scaleDims.Length > Shape.Length ? new TensorShape([Dim.Of(1), .. Shape.Select(d => Dim.Of(d))]) : dims;
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, outDims));
        if (escape)
        {
            graph.Outputs.Add(new ValueInfo("s", DataType.Float, dims));
        }

        return graph;
    }

    private string Save(ModelGraph graph, string name)
    {
        var path = Path.Combine(_dir, name);
        OnnxExporter.WriteFile(graph, path);
        return path;
    }
}
