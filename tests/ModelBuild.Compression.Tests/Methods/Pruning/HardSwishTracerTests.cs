using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.Pruning;
using ModelBuild.Evaluation;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>
/// Issue 13 D5: structured pruning through hard swish as exporters write it, <c>Mul(x, HardSigmoid(x))</c> and
/// <c>x · Clip(x + 3, 0, 6) / 6</c>, and through a per-channel constant scale. Reference (ONNX Runtime): the unpruned
/// graph with the reader's input channels of the removed filters set to zero gives the same outputs. A request that
/// removes nothing warns (MB2006) with the reason.
/// </summary>
public sealed class HardSwishTracerTests
{
    [Theory]
    [InlineData("hardsigmoid")]
    [InlineData("clip")]
    public void Hard_swish_networks_lose_channels_and_compute_the_cut_reference(string form)
    {
        var pruned = Build(form, residual: false);
        var context = Prune(pruned);

        Assert.Empty(context.Warnings);
        Assert.Equal([2L, 3, 3, 3], pruned.GetInitializer("WA")!.Dims);
        Assert.Equal([1L, 2, 1, 1], pruned.GetInitializer("scale")!.Dims);
        Assert.Equal([5L, 2, 1, 1], pruned.GetInitializer("WC")!.Dims);

        // Filters 1 and 3 of WA are the small ones (L1): zero those input channels of WC in the original.
        var reference = Build(form, residual: false);
        var wc = reference.GetInitializer("WC")!.ToFloats();
        for (var row = 0; row < 5; row++)
        {
            wc[(row * 4) + 1] = 0;
            wc[(row * 4) + 3] = 0;
        }

        reference.SetInitializer(Tensor.FromFloats("WC", [5, 4, 1, 1], wc));
        var random = new Random(5);
        var samples = Enumerable.Range(0, 3 * 192).Select(_ => (float)(random.NextDouble() * 6) - 3).ToArray();
        var expected = ActivationRecorder.Record(reference, ["Y"], samples, 3)["Y"].Data;
        var actual = ActivationRecorder.Record(pruned, ["Y"], samples, 3)["Y"].Data;
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-4));
    }

    [Fact]
    public void A_request_that_removes_nothing_warns_with_the_reason()
    {
        var graph = Build("hardsigmoid", residual: true);
        var context = Prune(graph);

        Assert.Equal([4L, 3, 3, 3], graph.GetInitializer("WA")!.Dims);
        var warning = Assert.Single(context.Warnings);
        Assert.StartsWith("test.compress.json: warning MB2006: ", warning);
        Assert.Contains("WA kept", warning);
        Assert.Contains("computed elsewhere", warning);
        Assert.DoesNotContain("parameter", warning);
    }

    private static CompressionContext Prune(ModelGraph graph)
    {
        ShapeInference.Run(graph);
        var context = new CompressionContext(graph, "synthetic.onnx", "test.compress.json", null, null);
        new StructuredPrunePass(new StructuredPruneSpec(0.5, ChannelCriterion.L1, ["WA"], [], false, 0.01)).Apply(context);
        return context;
    }

    /// <summary>
    /// X → Conv WA (4 filters) → hard swish → Mul by a per-channel scale → Conv WC (1×1, 5 filters) → Y. With
    /// <paramref name="residual"/>, the hard swish output is added to a second conv's output (the tracer must refuse).
    /// </summary>
    private static ModelGraph Build(string form, bool residual)
    {
        var random = new Random(2);
        var graph = new ModelGraph { Name = "hswish", IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("X", DataType.Float, TensorShape.Of(1, 3, 8, 8)));
        graph.Outputs.Add(new ValueInfo("Y", DataType.Float, TensorShape.Of(1, 5, 8, 8)));
        void Weight(string name, long[] dims, Func<int, float>? scale = null)
        {
            var count = (int)dims.Aggregate(1L, (a, d) => a * d);
            graph.SetInitializer(Tensor.FromFloats(name, dims, Enumerable.Range(0, count).Select(i => ((float)random.NextDouble() - 0.5f) * (scale?.Invoke(i) ?? 1)).ToArray()));
        }

        Weight("WA", [4, 3, 3, 3], i => i / 27 % 2 == 1 ? 0.1f : 2f);
        Weight("BA", [4]);
        Weight("scale", [1, 4, 1, 1]);
        Weight("WC", [5, 4, 1, 1]);
        Weight("WR", [4, 3, 1, 1]);
        graph.SetInitializer(Tensor.FromFloats("three", [], [3f]));
        graph.SetInitializer(Tensor.FromFloats("zero", [], [0f]));
        graph.SetInitializer(Tensor.FromFloats("six", [], [6f]));
        void Add(string op, string[] inputs, string output, params NodeAttribute[] attributes)
        {
            var node = new Node(op, inputs, [output], output);
            foreach (var a in attributes)
            {
                node.SetAttribute(a);
            }

            graph.Nodes.Add(node);
        }

        Add("Conv", ["X", "WA", "BA"], "a", NodeAttribute.Of("kernel_shape", new long[] { 3, 3 }), NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        if (form == "hardsigmoid")
        {
            Add("HardSigmoid", ["a"], "gate", NodeAttribute.Of("alpha", 1f / 6), NodeAttribute.Of("beta", 0.5f));
            Add("Mul", ["a", "gate"], "h");
        }
        else
        {
            Add("Add", ["a", "three"], "a3");
            Add("Clip", ["a3", "zero", "six"], "c");
            Add("Mul", ["c", "a"], "m");
            Add("Div", ["m", "six"], "h");
        }

        Add("Mul", ["h", "scale"], "s");
        var reader = "s";
        if (residual)
        {
            Add("Conv", ["X", "WR"], "r", NodeAttribute.Of("kernel_shape", new long[] { 1, 1 }));
            Add("Add", ["s", "r"], "sum");
            reader = "sum";
        }

        Add("Conv", [reader, "WC"], "Y", NodeAttribute.Of("kernel_shape", new long[] { 1, 1 }));
        return graph;
    }
}
