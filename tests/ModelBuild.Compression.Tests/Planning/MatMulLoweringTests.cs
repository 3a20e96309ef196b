using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>MatMul and Gemm that the Dense fast path cannot take are planned as general products and compute them.</summary>
public sealed class MatMulLoweringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-matmul-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Constant_left_operand_is_a_MatMul_op()
    {
        // y[3, 5] = W[3, 4] · x[4, 5]: a weight on the left, as in a channel-mixing layer.
        var w = Enumerable.Range(0, 12).Select(i => MathF.Sin(i * 0.9f)).ToArray();
        var graph = Graph(new Node("MatMul", ["W", "x"], ["y"], "mm"), [4, 5], [3, 5]);
        graph.SetInitializer(Tensor.FromFloats("W", [3, 4], w));
        var x = PlanInterpreterTests.Random([4, 5], seed: 2);
        var (ops, y) = Run(graph, x, [4, 5]);
        Assert.Equal(["MatMul"], ops);
        var expected = new double[15];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                for (var p = 0; p < 4; p++)
                {
                    expected[(i * 5) + j] += (double)w[(i * 4) + p] * x[(p * 5) + j];
                }
            }
        }

        AssertClose(expected, y);
    }

    [Fact]
    public void Gemm_of_two_activations_with_alpha_and_a_row_bias_is_a_Gemm_op()
    {
        // y = 0.5 · x · xᵀ + 2 · C, C [3, 1]: B computed, alpha ≠ 1, beta ≠ 1 on a per-row C.
        var gemm = new Node("Gemm", ["x", "x", "C"], ["y"], "gemm");
        gemm.Attributes.Add(NodeAttribute.Of("transB", 1L));
        gemm.Attributes.Add(NodeAttribute.Of("alpha", 0.5f));
        gemm.Attributes.Add(NodeAttribute.Of("beta", 2f));
        var graph = Graph(gemm, [3, 4], [3, 3]);
        graph.SetInitializer(Tensor.FromFloats("C", [3, 1], [1f, -2f, 3f]));
        var x = PlanInterpreterTests.Random([3, 4], seed: 4);
        var (ops, y) = Run(graph, x, [3, 4]);
        Assert.Equal(["Gemm"], ops);
        var expected = new double[9];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                double s = 0;
                for (var p = 0; p < 4; p++)
                {
                    s += (double)x[(i * 4) + p] * x[(j * 4) + p];
                }

                expected[(i * 3) + j] = (0.5 * s) + (2.0 * new[] { 1.0, -2.0, 3.0 }[i]);
            }
        }

        AssertClose(expected, y);
    }

    /// <summary>
    /// MatMul of a [2, 3, 4] x by a constant [4, 5] followed by an Add of a constant that adds one value per column
    /// (paddle2onnx's OCR head): one Dense op with that bias, on either side of the Add, with a Relu after it fused too.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 5 }, false, false)]
    [InlineData(new long[] { 1, 1, 5 }, true, false)]
    [InlineData(new long[] { 1 }, false, true)]
    [InlineData(new long[0], true, true)]
    public void MatMul_then_a_per_column_Add_is_one_Dense_with_bias(long[] biasDims, bool biasFirst, bool relu)
    {
        var (graph, x, expected) = MatMulAdd(biasDims, biasFirst, relu, extraConsumer: false);
        var (ops, y) = Run(graph, x, [2, 3, 4]);
        Assert.Equal(["Dense"], ops);
        AssertClose(expected, y);
    }

    /// <summary>
    /// Adds the Dense bias cannot take stay a separate Add: a bias that would raise the output's rank ([1, 1, 1, 5]
    /// on a rank-3 product), one that is not per column ([3, 5]), and a product another node also reads.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 1, 1, 1, 5 }, false)]
    [InlineData(new long[] { 3, 5 }, false)]
    [InlineData(new long[] { 5 }, true)]
    public void MatMul_then_an_Add_the_bias_cannot_hold_keeps_the_Add(long[] biasDims, bool extraConsumer)
    {
        var (graph, x, expected) = MatMulAdd(biasDims, biasFirst: false, relu: false, extraConsumer);
        var (ops, y) = Run(graph, x, [2, 3, 4]);
        Assert.Equal("Dense", ops[0]);
        Assert.Contains("Binary", ops);
        AssertClose(expected, y[..expected.Length]);
    }

    /// <summary>
    /// Opset 6: an Add with broadcast = 1 and axis = 0 lines its [3] constant up with the product's rows, not its
    /// columns, so it is not a bias; the fold must leave it to the Add, which refuses legacy broadcasting by axis.
    /// </summary>
    [Fact]
    public void An_opset_6_Add_broadcast_along_an_axis_is_not_folded_into_the_bias()
    {
        var graph = new ModelGraph { IrVersion = 3 };
        graph.Opsets.Add(new OpsetImport("", 6));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Of(3), Dim.Of(3)])));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape([Dim.Of(3), Dim.Of(3)])));
        graph.Nodes.Add(new Node("MatMul", ["x", "W"], ["p"], "mm"));
        var add = new Node("Add", ["p", "b"], ["y"], "add");
        add.Attributes.Add(NodeAttribute.Of("broadcast", 1L));
        add.Attributes.Add(NodeAttribute.Of("axis", 0L));
        graph.Nodes.Add(add);
        graph.SetInitializer(Tensor.FromFloats("W", [3, 3], Enumerable.Range(0, 9).Select(i => i * 0.5f).ToArray()));
        graph.SetInitializer(Tensor.FromFloats("b", [3], [1f, 2f, 3f]));
        var path = Path.Combine(_dir, "legacy.onnx");
        OnnxExporter.WriteFile(graph, path);

        var error = Assert.ThrowsAny<Exception>(() => ExactPlanner.Build(path));
        Assert.Contains("legacy broadcasting", error.ToString(), StringComparison.Ordinal);
    }

    // y = [relu](x[2,3,4] · W[4,5] + b) with b broadcast by its dims; with extraConsumer the product is also a second output.
    private static (ModelGraph Graph, float[] X, double[] Expected) MatMulAdd(long[] biasDims, bool biasFirst, bool relu, bool extraConsumer)
    {
        var w = Enumerable.Range(0, 20).Select(i => MathF.Sin(i * 0.7f)).ToArray();
        var bias = Enumerable.Range(0, (int)biasDims.Aggregate(1L, (a, d) => a * d)).Select(i => (i * 0.25f) - 1f).ToArray();
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Of(2), Dim.Of(3), Dim.Of(4)])));
        int outRank = Math.Max(3, biasDims.Length);
        int[] outDims = [.. Enumerable.Repeat(1, outRank - 3), 2, 3, 5];
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape(outDims.Select(d => Dim.Of(d)))));
        graph.Nodes.Add(new Node("MatMul", ["x", "W"], ["p"], "mm"));
        graph.Nodes.Add(new Node("Add", biasFirst ? ["b", "p"] : ["p", "b"], [relu ? "s" : "y"], "add"));
        if (relu)
        {
            graph.Nodes.Add(new Node("Relu", ["s"], ["y"], "relu"));
        }

        if (extraConsumer)
        {
            graph.Outputs.Add(new ValueInfo("p2", DataType.Float, new TensorShape([Dim.Of(2), Dim.Of(3), Dim.Of(5)])));
            graph.Nodes.Add(new Node("Neg", ["p"], ["p2"], "neg"));
        }

        graph.SetInitializer(Tensor.FromFloats("W", [4, 5], w));
        graph.SetInitializer(Tensor.FromFloats("b", biasDims, bias));
        var x = PlanInterpreterTests.Random([2, 3, 4], seed: 9);
        var expected = new double[30];
        for (var r = 0; r < 6; r++)
        {
            for (var j = 0; j < 5; j++)
            {
                double sum = 0;
                for (var k = 0; k < 4; k++)
                {
                    sum += (double)x[(r * 4) + k] * w[(k * 5) + j];
                }

                // b's last axis is the column (or 1), its second-to-last the row within a batch item when it has 3 rows.
                int bi = biasDims.Length == 0 || bias.Length == 1 ? 0 : biasDims is [3, 5] ? ((r % 3) * 5) + j : j;
                sum += bias[bi];
                expected[(r * 5) + j] = relu ? Math.Max(0, sum) : sum;
            }
        }

        return (graph, x, expected);
    }

    private static ModelGraph Graph(Node node, int[] inputShape, int[] outputShape)
    {
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape(inputShape.Select(d => Dim.Of(d)))));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape(outputShape.Select(d => Dim.Of(d)))));
        graph.Nodes.Add(node);
        return graph;
    }

    private (List<string> Ops, float[] Y) Run(ModelGraph graph, float[] x, int[] shape)
    {
        var path = Path.Combine(_dir, "m.onnx");
        OnnxExporter.WriteFile(graph, path);
        var (text, blob) = ExactPlanner.Build(path);
        var ops = text.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], x, shape);
        program.Run(context);
        return (ops, context.Floats(program.Outputs[0]).ToArray());
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
