using ModelBuild.Compression.Pipeline;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Conformance.Tests;

/// <summary>The adapter on hand-built models with values computed here: single and multiple outputs, a refusal, a broken plan.</summary>
public sealed class ModelBuildRunnerTests
{
    private static readonly float[] X = [-1.5f, -0.25f, 0f, 0.5f, 1f, 2f];

    [Fact]
    public void Predictors_compiled_together_run_with_their_own_weights_and_outputs()
    {
        var twoOutputs = ModelBuildRunner.Prepare("two", Model([new Node("Relu", ["x"], ["r"]), new Node("Sigmoid", ["x"], ["s"])], [("r", 3), ("s", 3)]));
        var gemm = ModelBuildRunner.Prepare("gemm", Model([new Node("Gemm", ["x", "w"], ["y"]) { Attributes = { NodeAttribute.Of("transB", 1L) } }],
            [("y", 2)], Tensor.FromFloats("w", [2, 3], [1, 2, 3, -1, 0, 0.5f])));
        var broken = twoOutputs with { Key = "broken", Plan = "mbplan 2\nnot a plan\n" };

        var runner = ModelBuildRunner.Compile([twoOutputs, gemm, broken]);

        // The broken plan is reported against its own key and does not take the other predictors down.
        Assert.Equal(["broken"], runner.CompileFailures.Keys);
        var two = runner.Run("two", Tensor.FromFloats("x", [2, 3], X));
        Assert.Equal([[2L, 3L], [2L, 3L]], two.Select(o => o.Dims));
        Assert.Equal(X.Select(v => Math.Max(v, 0f)), two[0].Data);
        Assert.Equal(X.Select(v => 1 / (1 + Math.Exp(-v))), two[1].Data.Select(v => (double)v), new Tolerant(1e-6));
        var y = runner.Run("gemm", Tensor.FromFloats("x", [2, 3], X));
        Assert.Equal([2L, 2L], y.Single().Dims);
        Assert.Equal([-2, 1.5, 8.5, 0.5], y.Single().Data.Select(v => (double)v), new Tolerant(1e-6)); // x · wᵀ by hand
    }

    [Fact]
    public void An_operator_the_runtime_lacks_is_refused_with_MB3003_naming_it_when_Runtime_is_Generated()
    {
        // LpPool is an operator real models rarely use; nothing lowers it.
        var e = Assert.Throws<ModelBuildException>(() => ModelBuildRunner.Prepare("lppool", Model([new Node("LpPool", ["x"], ["y"], "the_lppool")], [("y", 3)]), ModelRuntime.Generated));
        Assert.Equal("MB3003", e.Code);
        Assert.Contains("LpPool 'the_lppool'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Runtime=\"Auto\"", e.Message, StringComparison.Ordinal); // says how to get the fallback instead
    }

    [Fact]
    public void Under_Auto_an_uncovered_operator_goes_to_ONNX_Runtime_and_a_covered_model_stays_generated()
    {
        var lpPool = new Node("LpPool", ["x"], ["y"], "the_lppool") { Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 2 }) } };
        Assert.Equal("onnxruntime", ModelBuildRunner.Prepare("lppool_auto", Model([lpPool], [("y", 2)])).Runtime);
        Assert.Equal("generated", ModelBuildRunner.Prepare("relu_auto", Model([new Node("Relu", ["x"], ["y"])], [("y", 3)])).Runtime);
    }

    [Fact]
    public void Runtime_OnnxRuntime_runs_the_same_class_API_with_the_blob_weights_and_matches_values_computed_here()
    {
        // 18 weights: above the size that stays inline in the graph, so they travel in the blob and are put back at load.
        float[] w = [1, 2, 3, -1, 0, 0.5f, 0.25f, -2, 4, 3, 3, 3, -0.5f, 1, -1, 2, 0, -3];
        var model = Model([new Node("Gemm", ["x", "w"], ["y"]) { Attributes = { NodeAttribute.Of("transB", 1L) } }], [("y", 6)], Tensor.FromFloats("w", [6, 3], w));
        var prepared = ModelBuildRunner.Prepare("gemm_ort", model, ModelRuntime.OnnxRuntime);
        Assert.Equal("onnxruntime", prepared.Runtime);
        Assert.Contains("op OnnxRuntime ", prepared.Plan, StringComparison.Ordinal);

        var runner = ModelBuildRunner.Compile([prepared]);
        Assert.Empty(runner.CompileFailures);
        for (var call = 0; call < 2; call++) // the second call runs into the pre-allocated OrtValues
        {
            var y = runner.Run("gemm_ort", Tensor.FromFloats("x", [2, 3], X)).Single();
            Assert.Equal([2L, 6L], y.Dims);
            var expected = Enumerable.Range(0, 12).Select(i => Enumerable.Range(0, 3).Sum(k => (double)X[(i / 6 * 3) + k] * w[(i % 6 * 3) + k]));
            Assert.Equal(expected, y.Data.Select(v => (double)v), new Tolerant(1e-5));
        }
    }

    /// <summary>x: float [2, 3] → the given outputs (float [2, width]).</summary>
    private static byte[] Model(Node[] nodes, (string Name, int Width)[] outputs, Tensor? weight = null)
    {
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 17));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(2, 3)));
        graph.Nodes.AddRange(nodes);
        graph.Outputs.AddRange(outputs.Select(o => new ValueInfo(o.Name, DataType.Float, TensorShape.Of(2, o.Width))));
        if (weight is not null)
        {
            graph.SetInitializer(weight);
        }

        return OnnxExporter.ToBytes(graph);
    }

    private sealed class Tolerant(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= epsilon;

        public int GetHashCode(double value) => 0;
    }
}
