using ModelBuild.Compression.Passes;
using ModelBuild.Compression.Passes.LowRank;
using ModelBuild.Compression.Passes.Pruning;
using ModelBuild.Evaluation;
using ModelBuild.Graph;
using ModelBuild.Graph.Inference;

namespace ModelBuild.Compression.Tests.Methods.Pruning;

/// <summary>
/// Structured pruning through BatchNormalization, a depthwise Conv, Concat (channel offsets), MaxPool and Flatten on
/// a small synthetic graph. Reference: the unpruned graph with the Gemm columns of the removed channels set to zero
/// must give the same outputs in ONNX Runtime (the removed paths only reach the output through those columns).
/// </summary>
public sealed class ChannelTracerTests
{
    [Fact]
    public void Pruned_graph_matches_the_original_with_the_removed_paths_cut()
    {
        var pruned = Build();
        ShapeInference.Run(pruned);
        var context = new CompressionContext(pruned, "synthetic.onnx", "test.compress.json", null, null);
        new StructuredPrunePass(new StructuredPruneSpec(0.5, ChannelCriterion.L1, ["WA"], [], false, 0.01)).Apply(context);

        Assert.Equal([2L, 3, 3, 3], pruned.GetInitializer("WA")!.Dims);
        Assert.Equal([2L], pruned.GetInitializer("bn_var")!.Dims);
        Assert.Equal([4L, 1, 3, 3], pruned.GetInitializer("WD")!.Dims);
        Assert.Equal(2, pruned.Nodes.Single(n => n.Name == "dw").GetInt("group", 0));
        Assert.Equal([5L, 6 * 16], pruned.GetInitializer("WG")!.Dims);
        Assert.Equal(2, pruned.GetInitializer("WB")!.Dims[0]); // the other Concat input is untouched

        // Channels 1 and 3 of A are the small ones: concat channels 2 + 2k + {0, 1}, i.e. 4, 5, 8, 9, are gone.
        var reference = Build();
        var wg = reference.GetInitializer("WG")!.ToFloats();
        for (var row = 0; row < 5; row++)
        {
            foreach (var channel in new[] { 4, 5, 8, 9 })
            {
                Array.Clear(wg, (row * 160) + (channel * 16), 16);
            }
        }

        reference.SetInitializer(Tensor.FromFloats("WG", [5, 160], wg));
        var random = new Random(7);
        var samples = Enumerable.Range(0, 4 * 192).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = ActivationRecorder.Record(reference, ["Y"], samples, 4)["Y"].Data;
        var actual = ActivationRecorder.Record(pruned, ["Y"], samples, 4)["Y"].Data;

        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-4));
    }

    [Fact]
    public void Pointwise_conv_becomes_two_convs_that_compute_the_rank_one_product()
    {
        var graph = Build();
        ShapeInference.Run(graph);
        var context = new CompressionContext(graph, "synthetic.onnx", "test.compress.json", null, null);
        new LowRankPass(new LowRankSpec(1, null, ["WB"], [], false, 0.01)).Apply(context);

        Assert.Equal(2, graph.Nodes.Count(n => n.OpType == "Conv" && n.Inputs.Any(i => i.StartsWith("WB_", StringComparison.Ordinal))));
        Assert.Equal([1L, 3, 1, 1], graph.GetInitializer("WB_v")!.Dims);
        Assert.Equal([2L, 1, 1, 1], graph.GetInitializer("WB_us")!.Dims);

        // Reference: the original graph with WB replaced by its best rank-1 approximation, computed here in float64.
        var reference = Build();
        var wb = reference.GetInitializer("WB")!.ToDoubles();
        var m = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(2, 3, (r, c) => wb[(r * 3) + c]);
        var svd = m.Svd(computeVectors: true);
        var rankOne = svd.U.Column(0).OuterProduct(svd.VT.Row(0)) * svd.S[0];
        reference.SetInitializer(Tensor.FromFloats("WB", [2, 3, 1, 1], Enumerable.Range(0, 6).Select(i => (float)rankOne[i / 3, i % 3]).ToArray()));
        var random = new Random(3);
        var samples = Enumerable.Range(0, 2 * 192).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = ActivationRecorder.Record(reference, ["Y"], samples, 2)["Y"].Data;
        var actual = ActivationRecorder.Record(graph, ["Y"], samples, 2)["Y"].Data;

        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-4));
    }

    internal static ModelGraph Build()
    {
        var random = new Random(1);
        var graph = new ModelGraph { Name = "synthetic", IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("X", DataType.Float, TensorShape.Of(1, 3, 8, 8)));
        graph.Outputs.Add(new ValueInfo("Y", DataType.Float, TensorShape.Of(1, 5)));
        void Weight(string name, long[] dims, Func<int, float>? scale = null)
        {
            var count = (int)dims.Aggregate(1L, (a, d) => a * d);
            graph.SetInitializer(Tensor.FromFloats(name, dims, Enumerable.Range(0, count).Select(i => ((float)random.NextDouble() - 0.5f) * (scale?.Invoke(i) ?? 1)).ToArray()));
        }

        Weight("WA", [4, 3, 3, 3], i => i / 27 % 2 == 1 ? 0.1f : 1f); // filters 1 and 3 are small (l1)
        Weight("BA", [4]);
        Weight("bn_scale", [4]);
        Weight("bn_bias", [4]);
        Weight("bn_mean", [4]);
        graph.SetInitializer(Tensor.FromFloats("bn_var", [4], [1f, 2f, 0.5f, 1.5f]));
        Weight("WD", [8, 1, 3, 3]);
        Weight("BD", [8]);
        Weight("WB", [2, 3, 1, 1]);
        Weight("WG", [5, 160]);
        Weight("BG", [5]);

        Node Add(string op, string[] inputs, string output, string name)
        {
            var node = new Node(op, inputs, [output], name);
            graph.Nodes.Add(node);
            return node;
        }

        var convA = Add("Conv", ["X", "WA", "BA"], "a", "convA");
        convA.SetAttribute(NodeAttribute.Of("kernel_shape", new long[] { 3, 3 }));
        convA.SetAttribute(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        Add("BatchNormalization", ["a", "bn_scale", "bn_bias", "bn_mean", "bn_var"], "n", "bn");
        Add("Relu", ["n"], "r", "relu");
        var dw = Add("Conv", ["r", "WD", "BD"], "d", "dw");
        dw.SetAttribute(NodeAttribute.Of("kernel_shape", new long[] { 3, 3 }));
        dw.SetAttribute(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        dw.SetAttribute(NodeAttribute.Of("group", 4L));
        var convB = Add("Conv", ["X", "WB"], "e", "convB");
        convB.SetAttribute(NodeAttribute.Of("kernel_shape", new long[] { 1, 1 }));
        Add("Concat", ["e", "d"], "c", "cat").SetAttribute(NodeAttribute.Of("axis", 1L));
        var pool = Add("MaxPool", ["c"], "p", "pool");
        pool.SetAttribute(NodeAttribute.Of("kernel_shape", new long[] { 2, 2 }));
        pool.SetAttribute(NodeAttribute.Of("strides", new long[] { 2, 2 }));
        Add("Flatten", ["p"], "f", "flat");
        Add("Gemm", ["f", "WG", "BG"], "Y", "gemm").SetAttribute(NodeAttribute.Of("transB", 1L));
        return graph;
    }
}
