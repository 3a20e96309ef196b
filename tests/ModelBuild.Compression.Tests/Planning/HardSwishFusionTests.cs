using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// The decomposed hard swish (<c>x · Clip(x + 3, 0, 6) / 6</c>) is planned as one HardSwish op and matches ONNX
/// Runtime on the unfused model; chains that differ or whose intermediates escape are left node by node.
/// </summary>
public sealed class HardSwishFusionTests : IDisposable
{
    private static readonly int[] Shape = [2, 3, 5, 7];
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-hsfusion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(11, false, false, false)] // paddle2onnx: Add(x, 3), Clip(·, 0, 6) with bound inputs, Mul(x, c), Div(·, 6)
    [InlineData(9, false, false, false)]  // Clip bounds as attributes (opset < 11)
    [InlineData(13, true, true, false)]   // operands swapped: Add(3, x), Mul(c, x)
    [InlineData(13, false, false, true)]  // Mul(·, 1/6) instead of Div(·, 6)
    public void Chain_is_one_HardSwish_op_matching_onnx_runtime(int opset, bool constantFirst, bool clipFirst, bool mulBySixth)
    {
        var path = Save(Chain(opset, constantFirst, clipFirst, mulBySixth, clipMax: 6f, escape: false), "hs.onnx");
        var (text, _) = ExactPlanner.Build(path);
        var ops = Ops(text);
        Assert.Single(ops);
        Assert.Contains("HardSwish", ops[0], StringComparison.Ordinal);

        var input = Input();
        var (actual, shape) = PlanInterpreterTests.Run(path, input, Shape);
        Assert.Equal(Shape, shape);
        PlanInterpreterTests.AssertClose(Ort.Run(File.ReadAllBytes(path), input, Shape), actual);
    }

    [Theory]
    [InlineData(5f, false)] // Clip to [0, 5] is not a hard swish
    [InlineData(6f, true)]  // the product escapes as a graph output
    public void Other_chains_stay_node_by_node_and_still_match(float clipMax, bool escape)
    {
        var path = Save(Chain(11, false, false, false, clipMax, escape), "other.onnx");
        var (text, _) = ExactPlanner.Build(path);
        Assert.DoesNotContain("HardSwish", text, StringComparison.Ordinal);
        Assert.True(Ops(text).Count >= 4);

        var input = Input();
        var (actual, _) = PlanInterpreterTests.Run(path, input, Shape);
        PlanInterpreterTests.AssertClose(Ort.Run(File.ReadAllBytes(path), input, Shape), actual);
    }

    private static List<string> Ops(string plan) => plan.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).ToList();

    /// <summary>Values in [−5, 5): both clip bounds and the linear middle are hit.</summary>
    private static float[] Input() => PlanInterpreterTests.Random(Shape, seed: 3).Select(v => v * 5).ToArray();

    private static ModelGraph Chain(int opset, bool constantFirst, bool clipFirst, bool mulBySixth, float clipMax, bool escape)
    {
        var graph = new ModelGraph { IrVersion = 7 };
        graph.Opsets.Add(new OpsetImport("", opset));
        var dims = new TensorShape(Shape.Select(d => Dim.Of(d)));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, dims));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, dims));
        graph.SetInitializer(Tensor.FromFloats("three", [1], [3f]));
        graph.SetInitializer(Tensor.FromFloats("zero", [], [0f]));
        graph.SetInitializer(Tensor.FromFloats("max", [], [clipMax]));
        graph.SetInitializer(Tensor.FromFloats("six", [], [6f]));
        graph.SetInitializer(Tensor.FromFloats("sixth", [], [1f / 6f]));
        graph.Nodes.Add(new Node("Add", constantFirst ? ["three", "x"] : ["x", "three"], ["t"], "add3"));
        var clip = opset < 11 ? new Node("Clip", ["t"], ["c"], "clip") : new Node("Clip", ["t", "zero", "max"], ["c"], "clip");
        if (opset < 11)
        {
            clip.Attributes.Add(NodeAttribute.Of("min", 0f));
            clip.Attributes.Add(NodeAttribute.Of("max", clipMax));
        }

        graph.Nodes.Add(clip);
        graph.Nodes.Add(new Node("Mul", clipFirst ? ["c", "x"] : ["x", "c"], ["m"], "mul"));
        graph.Nodes.Add(mulBySixth ? new Node("Mul", ["m", "sixth"], ["y"], "scale") : new Node("Div", ["m", "six"], ["y"], "div6"));
        if (escape)
        {
            graph.Outputs.Add(new ValueInfo("m", DataType.Float, dims));
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
