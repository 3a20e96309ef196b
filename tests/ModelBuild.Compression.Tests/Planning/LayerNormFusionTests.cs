using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// The decomposed layer norm exporters write is planned as one LayerNorm op and computes the unfused formula; chains
/// whose intermediates escape are left alone; real models that need it match ONNX Runtime.
/// </summary>
public sealed class LayerNormFusionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-lnfusion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false, 1, true, true, false)] // PyTorch: Pow(d, 2), last axis, γ and β
    [InlineData(true, 2, true, false, true)] // Mul(d, d), two trailing axes, γ only, Add(ε, v)
    [InlineData(false, 1, false, true, false)] // β without γ
    [InlineData(false, 2, false, false, false)] // the bare normalisation
    public void Decomposed_chain_is_one_LayerNorm_op_computing_the_unfused_formula(bool mulSquare, int axes, bool gamma, bool beta, bool epsFirst)
    {
        int[] shape = [2, 3, 8];
        var path = Save(Decomposed(shape, mulSquare, axes, gamma, beta, epsFirst, escape: false), "ln.onnx");
        var (text, blob) = ExactPlanner.Build(path);
        var ops = text.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).ToList();
        Assert.Single(ops);
        Assert.StartsWith("op LayerNorm ", ops[0], StringComparison.Ordinal);
        Assert.Contains($"Axis=-{axes}", ops[0], StringComparison.Ordinal);

        var x = PlanInterpreterTests.Random(shape, seed: axes);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (x[i] * 3) + 10; // mean ≫ σ: the fused kernel must not lose the variance
        }

        var program = PlanInterpreter.Load(text, WeightBlob.Load(blob));
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], x, shape);
        program.Run(context);
        Assert.Equal(shape, context.Shape(program.Outputs[0]).ToArray());
        var expected = Unfused(x, shape, axes, gamma ? Gamma(shape, axes) : null, beta ? Beta(shape, axes) : null);
        var actual = context.Floats(program.Outputs[0]);
        for (var i = 0; i < expected.Length; i++)
        {
            // Outputs are O(1) after normalisation: float32 statistics over ≤ 24 values, 1e-4 absolute.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Chain_whose_deviation_is_also_a_graph_output_is_not_fused()
    {
        var path = Save(Decomposed([2, 3, 8], false, 1, true, true, false, escape: true), "escape.onnx");
        try
        {
            var (text, _) = ExactPlanner.Build(path);
            Assert.DoesNotContain("op LayerNorm", text, StringComparison.Ordinal);
        }
        catch (ModelBuildException e) when (e.Code == "MB3003")
        {
            // Without a ReduceMean lowering the unfused chain is refused at its ReduceMean, not silently fused.
            Assert.Contains(ExactPlanner.Blockers(e), b => b.StartsWith("ReduceMean ", StringComparison.Ordinal));
        }
    }

    [RealModelFact]
    public void Wakeword_classifier_with_two_decomposed_layer_norms_matches_onnx_runtime()
    {
        var path = RealModels.Path("wakeword_clf");
        var shape = new[] { 1, 25, 96 };
        var input = PlanInterpreterTests.Random(shape, seed: 5).Select(v => v * 5).ToArray();
        var (text, _) = ExactPlanner.Build(path);
        Assert.Equal(2, text.Split('\n').Count(l => l.StartsWith("op LayerNorm ", StringComparison.Ordinal)));
        var (actual, _) = PlanInterpreterTests.Run(path, input, shape);
        PlanInterpreterTests.AssertClose(Ort.Run(File.ReadAllBytes(path), input, shape), actual);
    }

    [RealModelFact]
    public void Text_recogniser_with_attention_and_layer_norms_matches_onnx_runtime()
    {
        var path = RealModels.Path("ppocr_rec");
        var shape = new[] { 1, 3, 48, 160 };
        var input = PlanInterpreterTests.Random(shape, seed: 9);
        var (actual, actualShape) = PlanInterpreterTests.Run(path, input, shape);
        var expected = Ort.Run(File.ReadAllBytes(path), input, shape);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(6625, actualShape[^1]);
        PlanInterpreterTests.AssertClose(expected, actual);
        Assert.Equal(Ort.ArgMax(expected, 6625), Ort.ArgMax(actual, 6625));
    }

    /// <summary>The chain as PyTorch exports <c>nn.LayerNorm</c> (opset 13, axes attribute), with the variations asked for.</summary>
    private static ModelGraph Decomposed(int[] shape, bool mulSquare, int axes, bool gamma, bool beta, bool epsFirst, bool escape)
    {
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        var dims = new TensorShape(shape.Select(d => Dim.Of(d)));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, dims));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, dims));
        var axesAttr = NodeAttribute.Of("axes", Enumerable.Range(-axes, axes).Select(a => (long)a).ToArray());
        var mean = new Node("ReduceMean", ["x"], ["m"], "mean");
        mean.Attributes.Add(axesAttr);
        var variance = new Node("ReduceMean", ["sq"], ["v"], "var");
        variance.Attributes.Add(axesAttr);
        graph.SetInitializer(Tensor.FromFloats("two", [], [2f]));
        graph.SetInitializer(Tensor.FromFloats("eps", [], [1e-5f]));
        graph.Nodes.Add(mean);
        graph.Nodes.Add(new Node("Sub", ["x", "m"], ["d"], "sub"));
        graph.Nodes.Add(mulSquare ? new Node("Mul", ["d", "d"], ["sq"], "square") : new Node("Pow", ["d", "two"], ["sq"], "square"));
        graph.Nodes.Add(variance);
        graph.Nodes.Add(new Node("Add", epsFirst ? ["eps", "v"] : ["v", "eps"], ["ve"], "add_eps"));
        graph.Nodes.Add(new Node("Sqrt", ["ve"], ["s"], "sqrt"));
        var last = "n";
        graph.Nodes.Add(new Node("Div", ["d", "s"], [gamma || beta ? "n" : "y"], "div"));
        if (gamma)
        {
            graph.SetInitializer(Tensor.FromFloats("gamma", shape[^axes..].Select(d => (long)d).ToArray(), Gamma(shape, axes)));
            graph.Nodes.Add(new Node("Mul", ["n", "gamma"], [beta ? "g" : "y"], "mul_gamma"));
            last = "g";
        }

        if (beta)
        {
            graph.SetInitializer(Tensor.FromFloats("beta", shape[^axes..].Select(d => (long)d).ToArray(), Beta(shape, axes)));
            graph.Nodes.Add(new Node("Add", ["beta", last], ["y"], "add_beta"));
        }

        if (escape)
        {
            graph.Outputs.Add(new ValueInfo("d", DataType.Float, dims));
        }

        return graph;
    }

    private static float[] Gamma(int[] shape, int axes) =>
        Enumerable.Range(0, shape[^axes..].Aggregate(1, (p, d) => p * d)).Select(i => 0.5f + MathF.Sin(i)).ToArray();

    private static float[] Beta(int[] shape, int axes) =>
        Enumerable.Range(0, shape[^axes..].Aggregate(1, (p, d) => p * d)).Select(i => MathF.Cos(i * 0.7f)).ToArray();

    /// <summary>The chain evaluated node by node in float64: mean, deviation, mean square, +ε, √, ÷, ·γ, +β.</summary>
    private static double[] Unfused(float[] x, int[] shape, int axes, float[]? gamma, float[]? beta)
    {
        var d = shape[^axes..].Aggregate(1, (p, v) => p * v);
        var y = new double[x.Length];
        for (var r = 0; r < x.Length / d; r++)
        {
            var mean = 0.0;
            for (var j = 0; j < d; j++)
            {
                mean += x[(r * d) + j];
            }

            mean /= d;
            var variance = 0.0;
            for (var j = 0; j < d; j++)
            {
                variance += Math.Pow(x[(r * d) + j] - mean, 2);
            }

            var std = Math.Sqrt((variance / d) + 1e-5f);
            for (var j = 0; j < d; j++)
            {
                var n = (x[(r * d) + j] - mean) / std;
                y[(r * d) + j] = (n * (gamma?[j] ?? 1)) + (beta?[j] ?? 0);
            }
        }

        return y;
    }

    private string Save(ModelGraph graph, string name)
    {
        var path = Path.Combine(_dir, name);
        OnnxExporter.WriteFile(graph, path);
        return path;
    }
}
